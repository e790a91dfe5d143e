package store

// Distribution is the layout of a PostgreSQL store on a hash-distributed
// Citus cluster, as the README ("PostgreSQL and Citus") gives it: each
// table's distribution column, or "" for a reference table (a copy on
// every node: small, or rarely written). Every lookup on the paths of
// ingest, explain and follow names its table's distribution column, so
// that Citus routes it to one shard, except those a test lists with the
// reason (cmd/wat's TestConformance checks the statements it sends).
var Distribution = map[string]string{
	"wat_store":  "",
	"wat_reader": "",
	"sources":    "",
	"namespaces": "",
	"wide_refs":  "", // namespace-wide events (FLUSHALL): few, looked up by namespace
	"postings":   "key",
	"events":     "bucket", // 65,536 consecutive ids (bucketOf)
	"rejects":    "source",
}

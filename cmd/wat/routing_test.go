package main

import (
	"bufio"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/wat-project/wat/ingest/store"
)

// multiShard are the statements of ingest, explain and follow that do
// not name their table's distribution column (store.Distribution) with
// one value, so that Citus sends them to several shards, each with why.
// A statement on those paths that is neither routed nor listed here
// fails TestConformance: a new lookup must route, or say why it cannot.
// Each is matched as a prefix of the statement as sent.
var multiShard = map[string]string{
	// A round of follow, and links, ask for the postings of several keys.
	`SELECT system, ns, key, first, n, ids FROM postings WHERE (system = $1 AND ns = $2 AND key = $3 AND last > $4) OR`: "several keys' postings (a follow round): the shards holding those keys",
	`SELECT key, first, n, ids FROM postings WHERE system = $1 AND ns = $2 AND w = $3 AND key IN (`:                     "several keys' postings (ids of linked requests): the shards holding those keys",
	// A request that reads a whole namespace (KEYS, DBSIZE, a glob)
	// depends on every key of it, on every shard.
	`SELECT first, n, ids FROM postings WHERE system = $1 AND ns = $2 AND w >= 1 AND first < $3`: "every key of a namespace, by the request's nature",
	`SELECT DISTINCT key FROM postings WHERE system = $1 AND ns = $2 AND w >= 0`:                 "the keys of a namespace (a glob), by the request's nature",
	// Ranges of ids, over their buckets' range.
	`SELECT min(id), max(id) FROM events WHERE bucket >= $1 AND bucket <= $2 AND id >= $3 AND id <= $4 AND source = $5 AND line = $6`: "--at on a file merged by time with others: its line's run of ids",
	`SELECT line, raw FROM events WHERE bucket >= $1 AND bucket <= $2 AND id >= $3 AND id <= $4 AND source = $5 ORDER BY id LIMIT`:    "ingest continuing a file: its stored last lines, a range of ids",
	`SELECT line, time, raw FROM events WHERE bucket >= $1 AND bucket <= $2 AND id >= $3 AND id <= $4 AND source = $5 ORDER BY id`:    "ingest of a file that overlaps a stored one: the stored lines, a range of ids",
	// Files of an instance stored again in time order (see
	// Store.Order): their old rows go, by id range, and come back.
	`SELECT id, line, "offset", time, raw FROM events WHERE bucket >= $1 AND bucket <= $2 AND id > $3 AND id <= $4 AND source = $5 ORDER BY id LIMIT`: "storing files again in time order: their events, a range of ids",
	`DELETE FROM events WHERE bucket >= $1 AND bucket <= $2 AND id >= $3 AND id <= $4`:                                                                "storing files again in time order: their old events, a range of ids",
	`DELETE FROM postings WHERE first >= $1 AND last <= $2`:                                                                                           "storing files again in time order: their old postings, a range of ids",
}

// catalogs are tables of PostgreSQL itself, on every node.
var catalogs = map[string]bool{"pg_roles": true, "pg_auth_members": true, "information_schema": true}

var (
	tableRe = regexp.MustCompile(`(?i)\b(?:FROM|JOIN|INTO|UPDATE|COPY)\s+"?([a-z_]+)"?`)
)

// routedBy tells whether q names column col of a table with one value
// ("col = $n", or with a table alias).
func routedBy(q, col string) bool {
	return regexp.MustCompile(`(?i)(^|[^a-z_.])([a-z]\.)?` + col + `\s*=\s*\$\d+`).MatchString(q)
}

// checkRouted checks every statement a command sent (the trace file of
// WAT_TRACE_SQL) against store.Distribution: each table it reads or
// writes is a reference table, or the statement names the table's
// distribution column with one value, or multiShard says why not. COPY
// is routed row by row.
func checkRouted(t *testing.T, command, trace string) {
	t.Helper()
	f, err := os.Open(trace)
	if err != nil {
		t.Fatalf("%s: no statements traced: %v", command, err)
	}
	defer f.Close()
	seen := map[string]bool{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		seen[sc.Text()] = true
	}
	var qs []string
	for q := range seen {
		qs = append(qs, q)
	}
	sort.Strings(qs)
	routed, migrations := 0, 0
	listed := map[string]int{}
	for _, q := range qs {
		if strings.HasPrefix(q, "COPY ") {
			routed++
			continue
		}
		if strings.HasPrefix(q, "migration: ") {
			migrations++ // once per store: the schema
			continue
		}
		why := ""
		for prefix, w := range multiShard {
			if strings.HasPrefix(q, prefix) {
				why = w
			}
		}
		ok := true
		for _, m := range tableRe.FindAllStringSubmatch(q, -1) {
			table := strings.ToLower(m[1])
			col, known := store.Distribution[table]
			switch {
			case catalogs[table]:
			case !known:
				t.Errorf("%s: %q: table %s is not in store.Distribution", command, q, table)
			case col != "" && !routedBy(q, col):
				ok = false
			}
		}
		switch {
		case ok:
			routed++
		case why != "":
			listed[why]++
		default:
			t.Errorf("%s sends a statement Citus cannot route to one shard (name the distribution column, or list it in multiShard with why): %s", command, q)
		}
	}
	t.Logf("%s: %d distinct statements: %d routed to one shard (or a reference table), %d migrations, to several shards: %v", command, len(qs), routed, migrations, listed)
}

// TestREADMEDistribution: the README's Citus calls are store.Distribution.
func TestREADMEDistribution(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	calls := regexp.MustCompile(`SELECT create_(distributed|reference)_table\('(\w+)'(?:,\s*'(\w+)')?\)`).FindAllStringSubmatch(string(b), -1)
	got := map[string]string{}
	for _, c := range calls {
		got[c[2]] = c[3]
	}
	for table, col := range store.Distribution {
		if c, ok := got[table]; !ok || c != col {
			t.Errorf("README: %s distributed by %q (%v), want %q", table, c, ok, col)
		}
	}
	for table := range got {
		if _, ok := store.Distribution[table]; !ok {
			t.Errorf("README distributes %s, which store.Distribution does not name", table)
		}
	}
}

package store

import (
	"database/sql"
	"database/sql/driver"
	"fmt"
	"strings"
	"sync"

	"github.com/mattn/go-sqlite3"

	"github.com/wat-project/wat/formats"
)

// driverName is the database/sql driver wat opens stores with: SQLite
// with the wat_event function, which the views use to show the parts of
// an event that are parsed from its raw line rather than stored.
const driverName = "sqlite3_wat"

var (
	registerOnce sync.Once
	fnMu         sync.Mutex
	fnFormats    = map[string]*formats.Format{}
	fnParsers    = map[string]formats.Parser{}
)

// registerFormats makes formats known to wat_event, and registers the
// driver the first time.
func registerFormats(fs []*formats.Format) {
	fnMu.Lock()
	for _, f := range fs {
		fnFormats[f.Name] = f
	}
	fnMu.Unlock()
	registerOnce.Do(func() {
		sql.Register(driverName+"_ro", &sqlite3.SQLiteDriver{ConnectHook: func(c *sqlite3.SQLiteConn) error {
			if _, err := c.Exec(distrust, nil); err != nil {
				return err
			}
			if err := setCache(c, readMmap()); err != nil {
				return err
			}
			return c.RegisterFunc("wat_event", watEvent, true)
		}})
		// A new store gets 16 KiB pages (a quarter of the page writes of
		// the default on bulk loads) before WAL mode fixes its size.
		sql.Register(driverName, &sqlite3.SQLiteDriver{ConnectHook: func(c *sqlite3.SQLiteConn) error {
			if _, err := c.Exec(distrust+"; PRAGMA page_size = 16384; PRAGMA journal_mode = WAL", nil); err != nil {
				return err
			}
			if err := setCache(c, 0); err != nil {
				return err
			}
			return c.RegisterFunc("wat_event", watEvent, true)
		}})
	})
}

// distrust is run first on every connection: with trusted_schema off, the
// views and triggers a store file holds may call only SQLite's innocuous
// functions (not wat_event, not load_extension), so a crafted store
// cannot run code on wat's behalf; wat's own views are TEMP views (see
// tempViews), which are trusted.
const distrust = "PRAGMA trusted_schema = OFF"

// cacheBytes is the page cache of a connection.
const cacheBytes = 64 << 20

// mmapBytes is how much of a store a read-only connection maps rather
// than reads, when its page cache cannot be in huge pages (readMmap): an
// explanation reads a few hundred events scattered over a gigabyte
// store, each a walk down the id B-tree, and a process that starts cold
// copied every page of each walk into fresh memory by pread (a ZSCORE
// with 249 alternatives on a 10M-event store: 88 ms whole process, 81 ms
// mapped). Only reading connections map it, so an ingest's resident
// memory is its own cache's.
const mmapBytes = 1 << 31

// readMmap is how much of a store a reading connection maps.
func readMmap() int64 {
	if hugePageCache() {
		return 0
	}
	return mmapBytes
}

// setCache sizes the page cache in pages of the store's real page size,
// and maps up to mmap bytes of the store file. A cache_size given in KiB
// is converted with the page size current when it is set, which for a
// new or not yet read store is SQLite's default, not the store's (16 KiB
// pages then made the cache four times too big).
func setCache(c *sqlite3.SQLiteConn, mmap int64) error {
	// Reading the schema makes SQLite read the page size from the file.
	if _, err := c.Exec("SELECT count(*) FROM sqlite_schema", nil); err != nil {
		return err
	}
	rows, err := c.Query("PRAGMA page_size", nil)
	if err != nil {
		return err
	}
	vals := make([]driver.Value, 1)
	err = rows.Next(vals)
	rows.Close()
	if err != nil {
		return err
	}
	ps, _ := vals[0].(int64)
	if ps <= 0 {
		ps = 4096
	}
	_, err = c.Exec(fmt.Sprintf("PRAGMA cache_size = %d; PRAGMA mmap_size = %d", cacheBytes/ps, mmap), nil)
	return err
}

// watEvent implements wat_event(format, config, raw, field): one field of
// the event a raw line of that format holds (system, ns, client, op, args,
// reply, service, id, parent, trace), or NULL when the line does not parse
// or has no such field. args are the arguments quoted and separated by
// spaces.
func watEvent(format string, cfg any, raw []byte, field string) any {
	var config []byte
	switch c := cfg.(type) {
	case []byte:
		config = c
	case string:
		config = []byte(c)
	}
	fnMu.Lock()
	defer fnMu.Unlock()
	f, ok := fnFormats[format]
	if !ok {
		return nil
	}
	key := format + "\x00" + string(config)
	p, ok := fnParsers[key]
	if !ok {
		var err error
		if p, err = f.Parser(config, ""); err != nil {
			return nil
		}
		fnParsers[key] = p
	}
	var e formats.Event
	if res, err := p.Parse(raw, &e); err != nil || res != formats.IsEvent {
		return nil
	}
	for _, vf := range eventViewFields {
		if vf.field == field {
			return vf.get(f, &e)
		}
	}
	return nil
}

// eventViewFields are the fields wat_event reads from a raw line, in the
// order event_view shows them, each under its column's name.
var eventViewFields = []struct {
	field, column string
	get           func(f *formats.Format, e *formats.Event) any
}{
	{"system", "system", func(f *formats.Format, e *formats.Event) any {
		if e.System == "" {
			return f.System
		}
		return e.System
	}},
	{"ns", "ns", func(_ *formats.Format, e *formats.Event) any { return e.NS }},
	{"client", "client", func(_ *formats.Format, e *formats.Event) any { return e.Client }},
	{"op", "op", func(_ *formats.Format, e *formats.Event) any { return e.Op }},
	{"args", "args", func(_ *formats.Format, e *formats.Event) any {
		q := make([]string, len(e.Args))
		for i, a := range e.Args {
			q[i] = formats.Quote(a)
		}
		return strings.Join(q, " ")
	}},
	{"reply", "reply", func(_ *formats.Format, e *formats.Event) any {
		if e.Reply == nil {
			return nil
		}
		return append([]byte(nil), e.Reply...)
	}},
	{"service", "service", func(_ *formats.Format, e *formats.Event) any { return e.Service }},
	{"id", "req_id", func(_ *formats.Format, e *formats.Event) any { return e.ReqID }},
	{"parent", "parent_id", func(_ *formats.Format, e *formats.Event) any { return e.Parent }},
	{"trace", "trace_id", func(_ *formats.Format, e *formats.Event) any { return e.Trace }},
}

// eventViewColumns is event_view's columns that wat_event reads.
func eventViewColumns() string {
	var b strings.Builder
	for _, vf := range eventViewFields {
		fmt.Fprintf(&b, "\n\t       wat_event(s.format, s.config, e.raw, '%s') AS %s,", vf.field, vf.column)
	}
	return b.String()
}

package store

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/formats/redismonitor"
	"github.com/wat-project/wat/provenance/hugepages"
)

// pageCacheRaw is the raw line stored under id in TestPageCache's store:
// over half a page long, so that each event fills a page of its own.
func pageCacheRaw(id int64) string {
	return fmt.Sprintf(`1700000000.000001 [0 127.0.0.1:5000] "SET" "k%d" "%s"`, id, strings.Repeat(strconv.FormatInt(id%10, 10), 9000))
}

// TestPageCache: a process that reads a store before it writes any puts
// SQLite's page cache in huge pages wherever the kernel offers them, and
// then reads the store's pages rather than mapping them; elsewhere it
// maps them. Either way it reads every event right, in more pages than
// the cache has slots. It runs in a process of its own (this test's
// binary again): the cache is set up once, before SQLite's first
// connection, which every other test of the package opens to write.
func TestPageCache(t *testing.T) {
	ctx := context.Background()
	if path := os.Getenv("WAT_TEST_PAGECACHE_STORE"); path != "" {
		pageCacheChild(t, path)
		return
	}
	path := filepath.Join(t.TempDir(), "s.db")
	s, err := Open(ctx, path, Options{Formats: []*formats.Format{redismonitor.Format}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.ExecContext(ctx, `INSERT INTO sources(id, path, format, config, size, hash, lines, events, rejected, skipped, ingested_at, instance, parts)
		VALUES (1, 'm.log', 'redis-monitor', NULL, 0, '', 0, 0, 0, 0, 0, '', 0)`); err != nil {
		t.Fatal(err)
	}
	const n = 3 * pageCacheSlots // pages: three times the slots
	for id := int64(1); id <= n; id++ {
		if _, err := s.db.ExecContext(ctx, `INSERT INTO events(id, source, line, "offset", time, raw) VALUES (?, 1, ?, 0, 0, ?)`, id, id, pageCacheRaw(id)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestPageCache$", "-test.v")
	cmd.Env = append(os.Environ(), "WAT_TEST_PAGECACHE_STORE="+path, "WAT_TEST_PAGECACHE_N="+strconv.Itoa(n))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the reading process: %v\n%s", err, out)
	}
	offered := hugepages.Offered()
	want := fmt.Sprintf("huge %v, mmap_size %d", offered, map[bool]int64{true: 0, false: mmapBytes}[offered])
	if !bytes.Contains(out, []byte(want)) {
		t.Errorf("transparent huge pages offered: %v; the reading process says\n%s\nwant %q", offered, out, want)
	}
	t.Logf("%s", bytes.TrimSpace(out))
}

// pageCacheChild is TestPageCache's reading process: it opens the store
// read-only, reads every event in a random order and says whether the
// cache is in huge pages and how much of the store it maps.
func pageCacheChild(t *testing.T, path string) {
	ctx := context.Background()
	n, _ := strconv.ParseInt(os.Getenv("WAT_TEST_PAGECACHE_N"), 10, 64)
	s, err := Open(ctx, path, Options{ReadOnly: true, Formats: []*formats.Format{redismonitor.Format}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ids := make([]int64, n)
	for i := range ids {
		ids[i] = int64(i + 1)
	}
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	for lo := 0; lo < len(ids); lo += 100 {
		evs, err := s.ByIDOnce(ctx, ids[lo:min(lo+100, len(ids))])
		if err != nil {
			t.Fatal(err)
		}
		for i, e := range evs {
			if id := ids[lo+i]; e == nil || e.ID != id || string(e.Raw) != pageCacheRaw(id) {
				t.Fatalf("event %d read as %+v", id, e)
			}
		}
	}
	var mmap int64
	if err := s.db.QueryRowContext(ctx, "PRAGMA mmap_size").Scan(&mmap); err != nil {
		t.Fatal(err)
	}
	fmt.Printf("read %d events: huge %v, mmap_size %d\n", n, hugePageCache(), mmap)
}

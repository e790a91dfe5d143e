package s3_test

import (
	"context"
	"fmt"
	"math/rand"
	"reflect"
	"testing"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/formats/s3access"
	"github.com/wat-project/wat/provenance"
	"github.com/wat-project/wat/provenance/provenancetest"
	"github.com/wat-project/wat/specs/s3"
)

// randomEvent draws an S3 request over tiny domains, so that sizes and
// version ids coincide as often as possible.
func randomEvent(r *rand.Rand, id int, read bool) *formats.Event {
	buckets, keys := []string{"b1", "b2"}, []string{"k", "j"}
	versions, sizes := []string{"", "v1", "v2"}, []string{"1", "2", ""}
	b, k := buckets[r.Intn(2)], keys[r.Intn(2)]
	if r.Intn(3) > 0 {
		b, k = "b1", "k" // most requests on the target's key
	}
	uri := fmt.Sprintf("GET /%s/%s HTTP/1.1", b, k)
	want := ""
	if r.Intn(4) == 0 {
		want = versions[1+r.Intn(2)]
		uri = fmt.Sprintf("GET /%s/%s?versionId=%s HTTP/1.1", b, k, want)
	}
	var op, reply string
	ver, size := versions[r.Intn(3)], sizes[r.Intn(3)]
	if read {
		op = []string{"REST.GET.OBJECT", "REST.HEAD.OBJECT", "REST.COPY.OBJECT_GET", "REST.GET.BUCKET"}[r.Intn(4)]
		reply = "200"
		if op == "REST.GET.BUCKET" {
			uri = []string{fmt.Sprintf("GET /%s HTTP/1.1", b), fmt.Sprintf("GET /%s?prefix=k HTTP/1.1", b)}[r.Intn(2)]
		}
	} else {
		op = []string{"REST.PUT.OBJECT", "REST.PUT.OBJECT", "REST.COPY.OBJECT", "REST.POST.UPLOAD", "REST.DELETE.OBJECT",
			"REST.DELETE.OBJECT", "S3.EXPIRE.OBJECT", "S3.CREATE.DELETEMARKER", "REST.PUT.BUCKET", "REST.DELETE.BUCKET",
			"REST.GET.OBJECT"}[r.Intn(11)]
		reply = []string{"200", "200", "200", "204", "404 NoSuchKey", "403 AccessDenied"}[r.Intn(6)]
		if op != "REST.DELETE.OBJECT" {
			uri = fmt.Sprintf("PUT /%s/%s HTTP/1.1", b, k)
		}
	}
	return &formats.Event{ID: int64(id), Source: "gen", Line: id, System: "s3", NS: b, Op: op,
		Time:  1795535140000000000 + int64(id)*int64(1e9),
		Args:  [][]byte{[]byte(k), []byte(ver), []byte(size), nil, []byte(uri)},
		Reply: []byte(reply)}
}

// TestSpecEqualsBruteForce: for thousands of random traces the spec's
// witnesses must be exactly the definition's.
func TestSpecEqualsBruteForce(t *testing.T) {
	provenancetest.Check(t, s3.Spec, provenancetest.Options{Seeds: 3000, Trace: func(r *rand.Rand) ([]*formats.Event, *formats.Event) {
		return provenancetest.RandomTrace(r, 12, randomEvent)
	}})
}

// TestLateRecords: a record ingested after the read but logged with an
// earlier time (access logs arrive late and out of order) is history.
func TestLateRecords(t *testing.T) {
	ev := func(id int, sec int64, op, version, size, reply string) *formats.Event {
		return &formats.Event{ID: int64(id), Source: "a.log", Line: id, System: "s3", NS: "b", Op: op,
			Time: 1795535140000000000 + sec*1e9, Reply: []byte(reply),
			Args: [][]byte{[]byte("k"), []byte(version), []byte(size), nil, []byte("GET /b/k HTTP/1.1")}}
	}
	get := ev(1, 10, "REST.GET.OBJECT", "", "7", "200")
	late := ev(2, 5, "REST.PUT.OBJECT", "", "7", "200")   // delivered later, happened earlier
	after := ev(3, 20, "REST.PUT.OBJECT", "", "9", "200") // happened after the read
	h := &provenance.MemHistory{Events: []*formats.Event{get, late, after}, Refs: s3.Spec.Refs}
	x, err := s3.Spec.Explain(context.Background(), h, get)
	if err != nil {
		t.Fatal(err)
	}
	ws, _ := x.Witnesses(1 << 16)
	if got := provenance.WitnessPositions(ws, h.Events); x.Output != "200 size=7 written=a.log:2" || !reflect.DeepEqual(got, [][]int{{1}}) {
		t.Errorf("output %q, witnesses %v: want the late PUT (position 1) alone", x.Output, got)
	}
}

// TestSameSizeWrites: two writes of the same size to an unversioned key
// (a service log that records only the size) are two unknown contents,
// never equal: the read is explained by the later one alone.
func TestSameSizeWrites(t *testing.T) {
	ev := func(id int, op, size string) *formats.Event {
		return &formats.Event{ID: int64(id), Source: "app.log", Line: id, System: "s3", NS: "b", Op: op,
			Time: 1795535140000000000 + int64(id)*1e9, Reply: []byte("200"), Args: [][]byte{[]byte("k"), nil, []byte(size)}}
	}
	h := &provenance.MemHistory{Events: []*formats.Event{ev(1, "PutObject", "26"), ev(2, "PutObject", "26"), ev(3, "GetObject", "")}, Refs: s3.Spec.Refs}
	x, err := s3.Spec.Explain(context.Background(), h, h.Events[2])
	if err != nil {
		t.Fatal(err)
	}
	ws, _ := x.Witnesses(1 << 16)
	if got := provenance.WitnessPositions(ws, h.Events); !reflect.DeepEqual(got, [][]int{{1}}) {
		t.Errorf("output %q, witnesses %v: want the second PutObject (position 1) alone", x.Output, got)
	}
}

// TestGolden explains the last request of each access log in
// testdata/explain/*.txtar and compares the answer with the archive's
// want file (go test -update rewrites them).
func TestGolden(t *testing.T) {
	provenancetest.Golden(t, s3.Spec, "testdata/explain", map[string]*formats.Format{"trace": s3access.Format}, provenancetest.Options{})
}

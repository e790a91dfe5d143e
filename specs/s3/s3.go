// Package s3 is the wat-provenance spec of Amazon S3 as its server
// access logs (and its clients' JSON logs) show it: buckets, keys,
// versions, delete markers, copies, multipart completions, lifecycle
// expirations.
//
// Logs carry no object contents, so a version is its id and size, and a
// null version (an unversioned bucket's) also the write that made it: the
// bytes of two writes are never taken to be equal, whatever their sizes,
// so a GET is explained by the write whose bytes it served, not by an
// earlier one of the same size. A GET or HEAD is explained by the write
// that made the version it served (PUT, COPY, upload completion) or, for
// a 404, by what removed it (DELETE, delete marker, expiration, bucket
// deletion); {ε} when the key never existed.
package s3

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/provenance"
)

// Spec is the S3 spec.
var Spec provenance.Spec = spec{SpecInfo: provenance.SpecInfo{
	Name:    "s3",
	Summary: "Amazon S3: objects, versions, delete markers, copies, multipart completions, expirations (server access logs or mapped JSON calls)",
	Operations: []string{"REST.PUT.OBJECT", "REST.COPY.OBJECT", "REST.COPY.OBJECT_GET", "REST.POST.UPLOAD", "REST.DELETE.OBJECT",
		"BATCH.DELETE.OBJECT", "S3.EXPIRE.OBJECT", "S3.CREATE.DELETEMARKER", "REST.GET.OBJECT", "REST.HEAD.OBJECT",
		"REST.PUT.BUCKET", "REST.DELETE.BUCKET", "PutObject", "CopyObject", "CompleteMultipartUpload", "DeleteObject",
		"GetObject", "HeadObject"},
	Replay: Model{},
}}

type spec struct {
	provenance.SpecInfo
	provenance.PlainOutput
}

// Refs indexes object requests under (bucket, key) and bucket creation
// and deletion under the whole bucket.
func (spec) Refs(e *formats.Event) []formats.Ref {
	r := normalize(e)
	kind := formats.KindRead
	if r.writes() {
		kind = formats.KindWrite
	}
	switch r.op {
	case "":
		return nil
	case "CREATEBUCKET", "DELETEBUCKET", "LIST":
		return []formats.Ref{{NS: r.bucket, Kind: kind}}
	}
	return []formats.Ref{{NS: r.bucket, Key: []byte(r.key), Kind: kind}}
}

// isReset reports whether a write decides the target's output whatever
// came before it.
func isReset(target request, e *formats.Event) bool {
	r := normalize(e)
	if !r.writes() || r.bucket != target.bucket {
		return false
	}
	switch r.op {
	case "CREATEBUCKET", "DELETEBUCKET":
		return true
	}
	if r.key != target.key {
		return false
	}
	if target.want != "" { // a read of one version
		switch r.op {
		case "PUT", "COPY", "COMPLETE", "MARKER":
			return r.version == target.want
		case "DELETE":
			return r.want == target.want
		}
		return false
	}
	switch r.op {
	case "PUT", "COPY", "COMPLETE", "MARKER", "EXPIRE":
		return true
	case "DELETE":
		return r.want == "" // a delete marker, or the null version gone
	}
	return false
}

// decides reports whether write e decides the target's output whatever
// came before it, given the later events (any order). A write decides
// the current version only while nothing later uncovers the versions
// under it (a permanent delete of a version, an unversioned delete or
// expiration): then those matter too.
func decides(t request, e *formats.Event, later []*formats.Event) bool {
	if !isReset(t, e) {
		return false
	}
	if op := normalize(e).op; t.want != "" || op == "CREATEBUCKET" || op == "DELETEBUCKET" {
		return true
	}
	for _, l := range later {
		if l.ID > e.ID && uncovers(t, l) {
			return false
		}
	}
	return true
}

// uncovers reports whether a write can make an older version of the
// target's key current again.
func uncovers(t request, e *formats.Event) bool {
	r := normalize(e)
	if !r.writes() || r.bucket != t.bucket || r.key != t.key {
		return false
	}
	return r.op == "DELETE" && r.want != ""
}

// Explain computes the wat-provenance of a read.
func (s spec) Explain(ctx context.Context, h provenance.History, target *formats.Event) (*provenance.Explanation, error) {
	if target.System != "s3" {
		return nil, fmt.Errorf("%s is a %s request, not s3: %w", target.Where(), target.System, provenance.ErrNotExplainable)
	}
	t := normalize(target)
	if t.op == "LIST" {
		return s.explainList(ctx, h, target, t)
	}
	if !t.reads() {
		return nil, fmt.Errorf("%s: wat explains S3 object reads (GET, HEAD, the source of a COPY), not %s: %w",
			target.Where(), target.Op, provenance.ErrNotExplainable)
	}
	hist, err := timeOrdered(target, func(before int64, n int) ([]*formats.Event, error) {
		return h.Touching(ctx, "s3", t.bucket, []byte(t.key), before, n)
	})
	if err != nil {
		return nil, err
	}
	back, sawReset := &provenance.Backwards{Events: hist}, false
	var fb []*formats.Event
	x, err := provenance.Explain(ctx, provenance.Walk{
		Problem: problem(target, back, &sawReset, func(e *formats.Event) bool { return decides(t, e, back.Seen()) }),
		Fallback: func() (w []*formats.Event, _ string, err error) {
			fb, err = fallback(ctx, h, t, target)
			return fb, "the last write that decides the read and every later one", err
		},
	})
	if err != nil {
		return nil, err
	}
	seen := back.Seen()
	if fb != nil {
		seen = fb
	}
	if back.Done() && !sawReset {
		x.Notes = append(x.Notes, "the explanation reaches the start of the log: it assumes the key did not exist before it")
	}
	if tie := sameSecond(target, seen); tie != "" {
		x.Notes = append(x.Notes, tie)
	}
	return x, nil
}

// sameSecond says when the explanation depends on the order of records
// logged in the same second: access logs have one-second times and are
// delivered out of order, and wat orders records as ingested.
func sameSecond(target *formats.Event, hist []*formats.Event) string {
	sec := func(e *formats.Event) int64 { return e.Time / int64(time.Second) }
	if target.Time == 0 || target.Time%int64(time.Second) != 0 {
		return "" // a record with finer times (a client's JSON log) is ordered by them
	}
	var ties []string
	for _, e := range hist {
		if normalize(e).writes() && sec(e) == sec(target) {
			ties = append(ties, e.Where())
		}
	}
	if len(ties) == 0 {
		return ""
	}
	if len(ties) > 3 {
		ties = append(ties[:3], "...")
	}
	return "depends on the order of records logged in the same second as the read (S3 logs have one-second times; wat keeps the order they were ingested in): " + strings.Join(ties, ", ")
}

// maxFallback bounds the writes the fallback witness lists.
const maxFallback = 1 << 20

// fallback returns the last write that decides the read and every later
// write: a closed witness.
func fallback(ctx context.Context, h provenance.History, t request, target *formats.Event) ([]*formats.Event, error) {
	before := target.ID
	older := func(n int) ([]*formats.Event, error) {
		batch, err := h.Touching(ctx, "s3", t.bucket, []byte(t.key), before, n)
		if len(batch) > 0 {
			before = batch[len(batch)-1].ID
		}
		return batch, err
	}
	evs, err := provenance.BackToReset(older, func(e *formats.Event, newer []*formats.Event) bool { return decides(t, e, newer) }, maxFallback)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", target.Where(), err)
	}
	return evs, nil
}

// LoggedOutput returns what a read's log record says it served: the
// status and error code, and the version and size when logged.
func (spec) LoggedOutput(e *formats.Event) []byte {
	r := normalize(e)
	out := fmt.Sprint(r.status)
	if r.code != "" {
		out += " " + r.code
	}
	if r.ok() && r.reads() {
		if r.version != "" {
			out += " version=" + r.version
		}
		if r.size != "" {
			out += " size=" + r.size
		}
	}
	return []byte(out)
}

// SameOutput compares a logged or typed output with a replayed one: the
// status must be equal, and the error code, version and size wherever
// both say them (logs often leave them out).
func (spec) SameOutput(given []byte, o provenance.Output) bool {
	a, b := fieldsOf(string(given)), fieldsOf(string(o))
	if a["status"] != b["status"] {
		return false
	}
	for _, f := range []string{"code", "version", "size"} {
		if a[f] != "" && b[f] != "" && a[f] != b[f] {
			return false
		}
	}
	return true
}

func fieldsOf(s string) map[string]string {
	m := map[string]string{}
	for i, f := range strings.Fields(s) {
		switch k, v, ok := strings.Cut(f, "="); {
		case i == 0:
			m["status"] = f
		case ok:
			m[k] = v
		default:
			m["code"] = f
		}
	}
	return m
}

// explainList explains a listing by the writes to the keys under its
// prefix: the creations of the keys it shows and the deletions of those
// that were there before.
func (spec) explainList(ctx context.Context, h provenance.History, target *formats.Event, t request) (*provenance.Explanation, error) {
	nh, ok := h.(provenance.NamespaceHistory)
	if !ok {
		return nil, fmt.Errorf("%s: this store cannot list a bucket's history: %w", target.Where(), provenance.ErrNotExplainable)
	}
	all, err := timeOrdered(target, func(before int64, n int) ([]*formats.Event, error) {
		return nh.InNamespace(ctx, "s3", t.bucket, before, n)
	})
	if err != nil {
		return nil, err
	}
	var hist []*formats.Event
	for _, e := range all {
		r := normalize(e)
		if r.op == "CREATEBUCKET" || r.op == "DELETEBUCKET" || strings.HasPrefix(r.key, t.prefix) {
			hist = append(hist, e)
		}
	}
	back, sawReset := &provenance.Backwards{Events: hist}, false
	x, err := provenance.Explain(ctx, provenance.Walk{Problem: problem(target, back, &sawReset, func(e *formats.Event) bool {
		r := normalize(e)
		return r.writes() && r.bucket == t.bucket && (r.op == "CREATEBUCKET" || r.op == "DELETEBUCKET")
	})})
	if errors.Is(err, provenance.ErrTooLarge) {
		return nil, fmt.Errorf("%s: %v (listings of long bucket histories are not explained yet): %w", target.Where(), err, provenance.ErrNotExplainable)
	}
	if err != nil {
		return nil, err
	}
	x.Notes = append(x.Notes, "access logs do not record what a listing returned: the output shown is the replay's")
	if back.Done() && !sawReset {
		x.Notes = append(x.Notes, "the explanation reaches the start of the log: it assumes the bucket was empty before it")
	}
	return x, nil
}

// maxHistory bounds the history of one key (or bucket) a read replays.
const maxHistory = 1 << 20

// timeOrdered returns the events that happened before the target, newest
// first, in time order: access-log records are delivered late and out of
// order, so a record ingested after the target may have happened before
// it. Records of the same time keep the order they were ingested in.
func timeOrdered(target *formats.Event, fetch func(before int64, n int) ([]*formats.Event, error)) ([]*formats.Event, error) {
	var all []*formats.Event
	before := int64(math.MaxInt64)
	for {
		evs, err := fetch(before, 4096)
		if err != nil {
			return nil, err
		}
		all = append(all, evs...)
		if len(evs) < 4096 {
			break
		}
		if len(all) > maxHistory {
			return nil, fmt.Errorf("%s: more than %d requests to replay: %w", target.Where(), maxHistory, provenance.ErrTooLarge)
		}
		before = evs[len(evs)-1].ID
	}
	earlier := func(a, b *formats.Event) bool {
		if a.Time != b.Time && a.Time != 0 && b.Time != 0 {
			return a.Time < b.Time
		}
		return a.ID < b.ID
	}
	out := all[:0]
	for _, e := range all {
		if e.ID != target.ID && earlier(e, target) {
			out = append(out, e)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return earlier(out[j], out[i]) })
	return out, nil
}

// problem explains target with the S3 model over the history back hands
// out, cutting it at the events isReset holds of; sawReset is set when it
// cut there.
func problem(target *formats.Event, back *provenance.Backwards, sawReset *bool, isReset func(*formats.Event) bool) provenance.Problem {
	reset := func(e *formats.Event) bool {
		if isReset(e) {
			*sawReset = true
			return true
		}
		return false
	}
	return provenance.Problem{Model: Model{}, Target: target, Older: back.Older, Reset: reset}
}

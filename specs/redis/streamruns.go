package redis

import (
	"slices"
	"strconv"
	"sync/atomic"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/provenance"
)

// An XADD's answer from its runs. The reply of "XADD key * field value"
// is the id the server's clock makes, ms-seq; the log does not hold the
// server's clock, so the model takes each request's time for it and the
// answer is never exact. On a stream that only ever got such XADDs (no
// options: in the store's index, one run of alike writes), with times
// that only go forward in the trace, the XADD at millisecond ms replies
// ms-k, where k is the number of XADDs before it at ms: the stream's
// last id is its latest time and how many came at that time, less one.
// Its one witness is those k XADDs (none when it is the millisecond's
// first): any subtrace holding them all replays ms-k, and one without
// some of them replays less. So the answer reads the key's index and the
// XADDs of the target's millisecond, from the end back, not the stream's
// 500,000 entries.

// streamAnswers counts the rule's answers, for tests.
var streamAnswers atomic.Int64

// streamAnswer answers an XADD with a new id and no options from its
// key's runs, or returns nil when the rule does not apply and the walk
// answers: a store without shapes, a history that holds another write
// of the key (an XADD with an id or options, XDEL, XTRIM, DEL, a
// script's call, a client waiting on the key), times that go back in the
// trace (or that the store does not know go forward: a file an older wat
// ingested), more than maxQueueReads XADDs in the target's millisecond.
func (w *walk) streamAnswer() (*provenance.Explanation, error) {
	t := w.target
	rh, ok := w.h.(provenance.RunHistory)
	oh, ordered := w.h.(provenance.TimeOrderedHistory)
	if !ok || !ordered || t.Op != "XADD" || !plainCall(t) || argsDoubt(t) != "" || t.Time <= 0 {
		return nil, nil
	}
	shape := shapeOf(t, false)
	if fam, _, ok := lengthStep(t); !ok || fam != "stream" || shape == 0 {
		return nil, nil
	}
	runs, ok, err := w.keyRuns(rh)
	if err != nil || !ok {
		return nil, err
	}
	for _, r := range runs {
		if r.Shape != shape {
			return nil, nil
		}
	}
	if ok, err := oh.TimeOrdered(w.ctx, t.ID); err != nil || !ok {
		return nil, err
	}
	// The XADDs of the target's millisecond, newest first: the times go
	// forward, so they end the history.
	ms := t.Time / 1e6
	var same []*formats.Event
	ids := make([]int64, 0, 64)
	r, i := len(runs)-1, 0 // the next id back: runs[r].IDs[i-1]
	if r >= 0 {
		i = len(runs[r].IDs)
	}
	checked := false
	for done := false; !done && r >= 0; {
		ids = ids[:0]
		for len(ids) < 64 && r >= 0 {
			if i == 0 {
				if r--; r >= 0 {
					i = len(runs[r].IDs)
				}
				continue
			}
			i--
			ids = append(ids, runs[r].IDs[i])
		}
		if len(ids) == 0 {
			break
		}
		evs, err := rh.ByID(w.ctx, ids)
		if err != nil {
			return nil, err
		}
		for _, e := range evs {
			// The index's shape must be this request's: a hash that two
			// requests share is not trusted.
			if !checked && (shapeOf(e, false) != shape || e.NS != t.NS || string(e.Args[0]) != string(t.Args[0])) {
				return nil, nil
			}
			checked = true
			if m := e.Time / 1e6; m > ms {
				return nil, nil // cannot be, in time order
			} else if m < ms {
				done = true
				break
			}
			if same = append(same, e); len(same) > maxQueueReads {
				return nil, nil
			}
		}
	}
	slices.Reverse(same)
	x := &provenance.Explanation{Target: t, Exact: true,
		Output: provenance.Output(bulkString(strconv.FormatInt(ms, 10) + "-" + strconv.Itoa(len(same))))}
	if err := x.SetWitnesses([][]*formats.Event{same}); err != nil {
		return nil, err
	}
	if x, err = w.runsAnswered(x, &streamAnswers); err != nil {
		return nil, err
	}
	x.Notes = append(x.Notes, "the witness takes the server's clock to be the log's times: the XADDs at the request's millisecond before it decide its sequence number",
		"the explanation reaches the start of the capture: it assumes the keys did not exist before it")
	return x, nil
}

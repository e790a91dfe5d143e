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
	var ids []int64 // the history, oldest first
	for _, r := range runs {
		if r.Shape != shape {
			return nil, nil
		}
		ids = append(ids, r.IDs.Slice()...)
	}
	if len(runs) > 0 {
		if e, err := w.likeOf(rh, runs[0]); err != nil || e == nil {
			return nil, err
		}
	}
	if ok, err := oh.TimeOrdered(w.ctx, t.ID); err != nil || !ok {
		return nil, err
	}
	// The XADDs of the target's millisecond, read newest first, 64 at a
	// time: the times go forward, so they end the history.
	ms := t.Time / 1e6
	var same []*formats.Event
	done := false // an XADD before the millisecond was read
	for end := len(ids); end > 0 && !done; end -= 64 {
		evs, err := rh.ByID(w.ctx, ids[max(0, end-64):end])
		if err != nil {
			return nil, err
		}
		for k := len(evs) - 1; k >= 0 && !done; k-- {
			m := evs[k].Time / 1e6
			if m > ms {
				return nil, nil // cannot be, in time order
			}
			if done = m < ms; !done {
				if same = append(same, evs[k]); len(same) > maxQueueReads {
					return nil, nil
				}
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
		noteCaptureStart)
	return x, nil
}

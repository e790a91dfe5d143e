package redis

import (
	"fmt"
	"slices"
	"strconv"
	"sync/atomic"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/provenance"
)

// An XADD's answer from its runs. The reply of "XADD key * field value"
// is the id the server's clock makes, ms-seq; the log does not hold the
// server's clock, so the model takes each request's time for it, and the
// answer is exact only where the log pins the clock (below). On a stream that only ever got such XADDs (no
// options: in the store's index, one run of alike writes), with times
// that only go forward in the trace, the XADD at millisecond ms replies
// ms-k, where k is the number of XADDs before it at ms: the stream's
// last id is its latest time and how many came at that time, less one.
// Its one witness is those k XADDs (none when it is the millisecond's
// first): any subtrace holding them all replays ms-k, and one without
// some of them replays less. So the answer reads the key's index and the
// XADDs of the target's millisecond, from the end back, not the stream's
// 500,000 entries.
//
// The log's time is not the server's clock at the moment it made the id,
// but where the log is MONITOR's (provenance.ClockHistory) it bounds it.
// The server runs one command after another and, from Redis 7.0 on,
// stamps a command's line by its clock after running it (on
// redis-server 7.0.15 every XADD's id in TestStreamsLiveClock lies
// between the millisecond of the line before it and its own). So an
// XADD took a millisecond from the one of the line before it to its own,
// and when the two are the same, it took that one. A call in a
// transaction is the exception: Redis 7.2 takes the clock once, when
// EXEC begins, before the transaction's calls are logged; the bound is
// then the last line before them, one of another client, or its own
// client's MULTI or EXEC (a transaction holds neither). Where those
// bounds fix the millisecond of the first XADD of the target's
// millisecond (or of the target, when it is the first), every XADD from
// it to the target took that millisecond (the clock does not go back),
// those before it took earlier ones, the reply is known, and the answer
// is exact (clockPinned).

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
	pinned, err := w.clockPinned(ms, append(same[:len(same):len(same)], t))
	if err != nil {
		return nil, err
	}
	w.clockKnown = pinned
	if x, err = w.runsAnswered(x, &streamAnswers); err != nil {
		return nil, err
	}
	if pinned {
		x.Notes = append(x.Notes, fmt.Sprintf("the server's clock was at %d ms for it and for the XADDs of that millisecond before it: MONITOR stamps a line after its command ran, and the line before them (before their transaction's calls, for a transaction's) has that millisecond", ms))
	} else {
		x.Notes = append(x.Notes, "the witness takes the server's clock to be the log's times: the XADDs at the request's millisecond before it decide its sequence number")
	}
	x.Notes = append(x.Notes, noteCaptureStart)
	return x, nil
}

// clockLines bounds the lines clockPinned reads on each side of an
// XADD.
const clockLines = 256

// clockPinned tells whether the log fixes the server's clock, to the
// millisecond, at ms for each of xadds: plain calls logged in ms, in log
// order, the first of which is the first XADD of the target's
// millisecond.
func (w *walk) clockPinned(ms int64, xadds []*formats.Event) (bool, error) {
	ch, ok := w.h.(provenance.ClockHistory)
	if !ok {
		return false, nil
	}
	for _, e := range xadds {
		if !plainCall(e) || e.Time/1e6 != ms {
			return false, nil
		}
	}
	first := xadds[0]
	for n := 16; n <= clockLines; n *= 4 {
		before, after, err := ch.LoggedAround(w.ctx, first.ID, n)
		if err != nil || len(before) == 0 || before[0].Time/1e6 != ms {
			return false, err
		}
		in, known := inExec(first, after)
		if known && !in {
			return true, nil // the line before it is the bound
		}
		// In a transaction, or perhaps: the bound is the line before
		// the transaction's calls.
		for _, b := range before {
			switch {
			case b.Time/1e6 != ms:
				return false, nil
			case b.Client == "lua":
			case b.Client != first.Client || b.Op == "MULTI" || b.Op == "EXEC":
				return true, nil
			}
		}
		if len(before) < n && len(after) < n {
			return false, nil // the file's ends, or other files' lines
		}
	}
	return false, nil
}

// inExec tells whether the lines logged after e show that an EXEC ran
// it, and whether they tell: MONITOR logs a transaction's calls one
// after another and then its EXEC, with no other client's lines between
// them but its scripts' [lua] lines. So the first of e's client's lines
// after it that is an EXEC says it ran in one, and a MULTI, or a line of
// another client before any of those, that it did not.
func inExec(e *formats.Event, after []*formats.Event) (in, known bool) {
	for _, a := range after {
		switch {
		case a.Client == "lua":
		case a.Client != e.Client || a.Op == "MULTI":
			return false, true
		case a.Op == "EXEC":
			return true, true
		}
	}
	return false, false
}

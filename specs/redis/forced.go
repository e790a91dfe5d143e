package redis

import (
	"math"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/provenance"
)

var _ provenance.Forcer = Model{}

// families of writes whose every event changes what a reader of the key
// sees, so that long runs of them (hot counters, logs, queues) need no
// replay per event: the reads whose output tells every state of the
// family apart.
var families = map[string]struct {
	ops   map[string]bool
	reads map[string]bool
}{
	"counter": {map[string]bool{"INCR": true, "DECR": true, "INCRBY": true, "DECRBY": true},
		map[string]bool{"GET": true, "INCR": true, "DECR": true, "INCRBY": true, "DECRBY": true}},
	"append": {map[string]bool{"APPEND": true}, map[string]bool{"GET": true, "APPEND": true, "STRLEN": true}},
	"push":   {map[string]bool{"LPUSH": true, "RPUSH": true}, map[string]bool{"LLEN": true, "LPUSH": true, "RPUSH": true, "LRANGE": true}},
}

// Forced implements provenance.Forcer for a run of one family's writes to
// the key the target reads: a counter's INCRs with a non-zero increment,
// an APPEND of a non-empty string, any LPUSH or RPUSH. Leaving one of
// them out changes the value, the length or the list, which the target
// shows. It declines (false) whenever that is not certain: other keys or
// commands in the run, a start state of another type or with a deadline,
// a possible overflow, fewer than two writes.
func (Model) Forced(start provenance.State, stretch []*formats.Event, target *formats.Event, _ provenance.Output) ([]bool, bool) {
	if len(stretch) < 2 || len(target.Args) == 0 || len(start.(*State).blocked) > 0 {
		return nil, false
	}
	fam := ""
	for name, f := range families {
		if f.ops[stretch[0].Op] {
			fam = name
		}
	}
	if fam == "" || !families[fam].reads[target.Op] {
		return nil, false
	}
	if target.Op == "LRANGE" && (len(target.Args) != 3 || string(target.Args[1]) != "0" || string(target.Args[2]) != "-1") {
		return nil, false
	}
	key := string(target.Args[0])
	for _, e := range stretch {
		if !families[fam].ops[e.Op] || e.NS != target.NS || len(e.Args) == 0 || string(e.Args[0]) != key {
			return nil, false
		}
	}
	d, ok := dbIndex(target.NS)
	if !ok {
		return nil, false
	}
	var v *value
	if db := start.(*State).dbs[d]; db != nil {
		v = db[key]
	}
	if v != nil && v.expire != 0 {
		return nil, false
	}
	marks := make([]bool, len(stretch))
	switch fam {
	case "counter":
		var total uint64
		if v != nil {
			n, ok := parseInt(v.str)
			if v.typ != tString || !ok {
				return nil, false
			}
			total = absInt(n)
		}
		for i, e := range stretch {
			var n int64 = 1
			switch e.Op {
			case "INCRBY", "DECRBY":
				if len(e.Args) != 2 {
					return nil, false
				}
				if n, ok = parseInt(e.Args[1]); !ok || n == math.MinInt64 {
					return nil, false
				}
			case "INCR", "DECR":
				if len(e.Args) != 1 {
					return nil, false
				}
			}
			total += absInt(n)
			if total > 1<<62 {
				return nil, false
			}
			marks[i] = n != 0
		}
	case "append":
		if v != nil && v.typ != tString {
			return nil, false
		}
		for i, e := range stretch {
			if len(e.Args) != 2 {
				return nil, false
			}
			marks[i] = len(e.Args[1]) > 0
		}
	case "push":
		if v != nil && v.typ != tList {
			return nil, false
		}
		for i, e := range stretch {
			if len(e.Args) < 2 {
				return nil, false
			}
			marks[i] = true
		}
	}
	return marks, true
}

func absInt(n int64) uint64 {
	if n < 0 {
		return uint64(-n)
	}
	return uint64(n)
}

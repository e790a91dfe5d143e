package redis

import (
	"sort"
	"strconv"

	"github.com/wat-project/wat/formats"
)

// The set commands. A set of integers (at most 512, with redis.conf's
// defaults) is an intset and lists its members in numeric order; any
// other set is a hash table for good, whose order the log does not tell.
var setCommands = inGroup("set", []*Command{
	{Name: "SADD", Arity: -3, Flags: "write denyoom fast", Keys: key1("RW insert"), Run: sadd,
		Sub: subsFrom("members", 2, 1, formats.KindReset)},
	{Name: "SCARD", Arity: 2, Flags: "readonly fast", Keys: key1("RO"), Run: scard},
	{Name: "SDIFF", Arity: -2, Flags: "readonly",
		Keys: []KeySpec{keysFrom(1, "RO access")}, Run: sunionDiff},
	{Name: "SDIFFSTORE", Arity: -3, Flags: "write denyoom",
		Keys: []KeySpec{keyAt(1, "OW update"), keysFrom(2, "RO access")},
		Run:  sunionDiff},
	{Name: "SINTER", Arity: -2, Flags: "readonly",
		Keys: []KeySpec{keysFrom(1, "RO access")}, Run: sinter},
	{Name: "SINTERCARD", Arity: -3, Flags: "readonly movablekeys",
		Keys: []KeySpec{keysCounted(1, "RO access")}, Run: sinter},
	{Name: "SINTERSTORE", Arity: -3, Flags: "write denyoom",
		Keys: []KeySpec{keyAt(1, "RW update"), keysFrom(2, "RO access")},
		Run:  sinter},
	{Name: "SISMEMBER", Arity: 3, Flags: "readonly fast", Keys: key1("RO"), Run: sismember,
		Sub: subAt("member", 2, formats.KindRead)},
	{Name: "SMEMBERS", Arity: 2, Flags: "readonly", Keys: key1("RO access"), Run: smembers},
	{Name: "SMISMEMBER", Arity: -3, Flags: "readonly fast", Keys: key1("RO access"), Run: sismember,
		Sub: subsFrom("members", 2, 1, formats.KindRead)},
	{Name: "SMOVE", Arity: 4, Flags: "write fast", Keys: []KeySpec{keyAt(1, "RW access delete"), keyAt(2, "RW insert")},
		Run: smove,
		Sub: smoveSubs},
	{Name: "SPOP", Arity: -2, Flags: "write fast", Keys: key1("RW access delete"), Why: "SPOP removes members at random"},
	{Name: "SRANDMEMBER", Arity: -2, Flags: "readonly", Keys: key1("RO access"), Unknown: "a random pick (SRANDMEMBER)"},
	{Name: "SREM", Arity: -3, Flags: "write fast", Keys: key1("RW delete"), Run: srem,
		Sub: subsFrom("members", 2, 1, formats.KindReset)},
	{Name: "SSCAN", Arity: -3, Flags: "readonly", Keys: key1("RO access"), Run: sscan},
	{Name: "SUNION", Arity: -2, Flags: "readonly",
		Keys: []KeySpec{keysFrom(1, "RO access")}, Run: sunionDiff},
	{Name: "SUNIONSTORE", Arity: -3, Flags: "write denyoom",
		Keys: []KeySpec{keyAt(1, "OW update"), keysFrom(2, "RO access")},
		Run:  sunionDiff},
})

// setValue returns a key's set, nil for a missing key, or WRONGTYPE.
func (r *run) setValue(k []byte) (*value, string) { return r.container(k, tSet, false) }

// isIntsetMember reports whether a member can live in an intset.
func isIntsetMember(m string) bool {
	_, ok := parseInt([]byte(m))
	return ok
}

// setAdd adds a member to a set the state owns, converting an intset to
// a hash table as Redis does; it reports whether the member is new.
func (v *value) setAdd(m string) bool {
	if v.set[m] {
		return false
	}
	if !isIntsetMember(m) {
		v.bigMap = true
	}
	v.set[m] = true
	if len(v.set) > setMaxIntsetEntries {
		v.bigMap = true
	}
	return true
}

// newSet returns an empty set, encoded as Redis's setTypeCreate would
// for its first member.
func newSet(first string) *value {
	return &value{typ: tSet, set: map[string]bool{}, bigMap: !isIntsetMember(first)}
}

func sadd(r *run) string {
	a := r.args
	v, e := r.setValue(a[0])
	if e != "" {
		return e
	}
	if v == nil {
		v = newSet(string(a[1]))
		r.set(a[0], v)
	}
	var c int64
	for _, m := range a[1:] {
		if v.set[string(m)] {
			continue
		}
		if c == 0 {
			v = r.mut(a[0], v)
		}
		v.setAdd(string(m))
		c++
	}
	return integer(c)
}

func srem(r *run) string {
	a := r.args
	v, e := r.existing(r.setValue, a[0], rZero)
	if e != "" {
		return e
	}
	var c int64
	for _, m := range a[1:] {
		if v.set[string(m)] {
			if c == 0 {
				v = r.mut(a[0], v)
			}
			delete(v.set, string(m))
			c++
		}
	}
	if c > 0 {
		r.dropIfEmpty(a[0], v)
	}
	return integer(c)
}

func scard(r *run) string {
	return r.sizeOf(r.setValue, func(v *value) int { return len(v.set) })
}

func sismember(r *run) string {
	v, e := r.setValue(r.args[0])
	if e != "" {
		return e
	}
	return r.perMember("SISMEMBER", func(m []byte) string {
		if v != nil && v.set[string(m)] {
			return rOne
		}
		return rZero
	})
}

// setReply lists members as Redis iterates a set: numeric order for an
// intset; sorted and marked as of unknown order for a hash table.
func setReply(members []string, intset bool) string {
	if intset {
		sort.Slice(members, func(i, j int) bool {
			a, _ := strconv.ParseInt(members[i], 10, 64)
			b, _ := strconv.ParseInt(members[j], 10, 64)
			return a < b
		})
	} else {
		sort.Strings(members)
	}
	items := make([]string, len(members))
	for i, m := range members {
		items[i] = bulkString(m)
	}
	if intset {
		return array(items)
	}
	return listing(items, 1)
}

func members(v *value) []string {
	out := make([]string, 0, len(v.set))
	for m := range v.set {
		out = append(out, m)
	}
	return out
}

func smembers(r *run) string {
	v, e := r.existing(r.setValue, r.args[0], rEmpty)
	if e != "" {
		return e
	}
	return setReply(members(v), !v.bigMap)
}

func smove(r *run) string {
	a := r.args
	src, dst, m := a[0], a[1], string(a[2])
	sv := r.get(src)
	if sv == nil {
		return rZero
	}
	dv := r.get(dst)
	if sv.typ != tSet || (dv != nil && dv.typ != tSet) {
		return eWrongType
	}
	if string(src) == string(dst) {
		if sv.set[m] {
			return rOne
		}
		return rZero
	}
	if !sv.set[m] {
		return rZero
	}
	sv = r.mut(src, sv)
	delete(sv.set, m)
	r.dropIfEmpty(src, sv)
	if dv == nil {
		dv = newSet(m)
		r.set(dst, dv)
	}
	if !dv.set[m] {
		dv = r.mut(dst, dv)
		dv.setAdd(m)
	}
	return rOne
}

// sinter answers SINTER, SINTERCARD and SINTERSTORE.
func sinter(r *run) string {
	keys := r.args
	var dst []byte
	limit := int64(0)
	card := r.op == "SINTERCARD"
	switch r.op {
	case "SINTERSTORE":
		dst, keys = keys[0], keys[1:]
	case "SINTERCARD":
		n, ok := parseInt(keys[0])
		if !ok {
			return eNotInt
		}
		if n < 1 {
			return "-ERR numkeys should be greater than 0\r\n"
		}
		if n > int64(len(keys)-1) {
			return "-ERR Number of keys can't be greater than number of args\r\n"
		}
		rest := keys[n+1:]
		keys = keys[1 : n+1]
		for j := 0; j < len(rest); j++ {
			if cEqual(rest[j], "LIMIT") && j+1 < len(rest) {
				j++
				l, ok := parseInt(rest[j])
				if !ok {
					return eNotInt
				}
				if l < 0 {
					return "-ERR LIMIT can't be negative\r\n"
				}
				limit = l
				continue
			}
			return eSyntax
		}
	}
	var sets []*value
	empty := false
	for _, k := range keys {
		v, e := r.setValue(k)
		if e != "" {
			return e
		}
		if v == nil {
			empty = true
		}
		sets = append(sets, v)
	}
	var out []string
	allInt := true
	if !empty {
		sort.SliceStable(sets, func(i, j int) bool { return len(sets[i].set) < len(sets[j].set) })
		for _, s := range sets {
			allInt = allInt && !s.bigMap
		}
		for _, m := range members(sets[0]) {
			in := true
			for _, s := range sets[1:] {
				if !s.set[m] {
					in = false
					break
				}
			}
			if in {
				out = append(out, m)
			}
		}
	}
	switch {
	case card:
		n := int64(len(out))
		if limit > 0 && n > limit {
			n = limit
		}
		return integer(n)
	case dst != nil:
		return r.storeSet(dst, out, true)
	}
	return setReply(out, allInt)
}

// storeSet stores a computed set (SINTERSTORE, SUNIONSTORE, SDIFFSTORE),
// deleting the destination when it is empty; intset says whether Redis
// would still have it as an intset.
func (r *run) storeSet(dst []byte, ms []string, intset bool) string {
	if len(ms) == 0 {
		r.del(dst)
		return rZero
	}
	v := &value{typ: tSet, set: map[string]bool{}}
	for _, m := range ms {
		v.set[m] = true
		if !isIntsetMember(m) {
			intset = false
		}
	}
	v.bigMap = !intset || len(ms) > setMaxIntsetEntries
	r.set(dst, v)
	return integer(int64(len(ms)))
}

// sunionDiff answers SUNION, SDIFF and their STORE forms.
func sunionDiff(r *run) string {
	keys := r.args
	var dst []byte
	if r.op == "SUNIONSTORE" || r.op == "SDIFFSTORE" {
		dst, keys = keys[0], keys[1:]
	}
	union := r.op == "SUNION" || r.op == "SUNIONSTORE"
	var sets []*value
	for _, k := range keys {
		v, e := r.setValue(k)
		if e != "" {
			return e
		}
		sets = append(sets, v)
	}
	// Redis builds the result in a temporary set that starts as an intset
	// and becomes a hash table for good once a non-integer (or the 513th
	// member) is added to it, even if removed again.
	intset := true
	result := map[string]bool{}
	add := func(m string) {
		if !result[m] {
			result[m] = true
			if !isIntsetMember(m) || len(result) > setMaxIntsetEntries {
				intset = false
			}
		}
	}
	switch {
	case union:
		for _, s := range sets {
			if s != nil {
				for m := range s.set {
					add(m)
				}
			}
		}
	case sets[0] == nil:
	default:
		same := false
		for i, s := range sets[1:] {
			if s != nil && string(keys[i+1]) == string(keys[0]) {
				same = true
			}
		}
		if !same {
			one, two := 0, 0
			for _, s := range sets {
				if s != nil {
					one += len(sets[0].set)
					two += len(s.set)
				}
			}
			if one/2 <= two {
				// Algorithm 1: the members of the first set in no other.
				for m := range sets[0].set {
					in := false
					for _, s := range sets[1:] {
						if s != nil && s.set[m] {
							in = true
							break
						}
					}
					if !in {
						add(m)
					}
				}
			} else {
				// Algorithm 2: the first set, less every other.
				for m := range sets[0].set {
					add(m)
				}
				for _, s := range sets[1:] {
					if s != nil {
						for m := range s.set {
							delete(result, m)
						}
					}
				}
			}
		}
	}
	ms := make([]string, 0, len(result))
	for m := range result {
		ms = append(ms, m)
	}
	if dst != nil {
		return r.storeSet(dst, ms, intset)
	}
	return setReply(ms, intset)
}

func sscan(r *run) string {
	v, e := r.setValue(r.args[0])
	pat, reply := r.scanListpack(v, e)
	if reply != "" {
		return reply
	}
	var ms []string
	for _, m := range members(v) {
		if pat == nil || globMatch(pat, []byte(m), false) {
			ms = append(ms, m)
		}
	}
	sort.Slice(ms, func(i, j int) bool {
		a, _ := strconv.ParseInt(ms[i], 10, 64)
		b, _ := strconv.ParseInt(ms[j], 10, 64)
		return a < b
	})
	items := make([]string, len(ms))
	for i, m := range ms {
		items[i] = bulkString(m)
	}
	return array([]string{bulkString("0"), array(items)})
}

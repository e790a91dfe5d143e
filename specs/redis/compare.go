package redis

import (
	"errors"
	"strconv"
	"strings"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/provenance"
)

// A Verdict is how a replayed output stands against the reply the server
// really sent.
type Verdict int

const (
	// Agree: the replay is the reply.
	Agree Verdict = iota
	// AgreeAsSet: the replay has the reply's elements; their order is the
	// server's hash table's, which the model does not know (and says so).
	AgreeAsSet
	// Labelled: the model does not know the reply and says what it
	// depends on (INFO, a random pick, a wait that did not end).
	Labelled
	// NotModelled: the command is not one the model runs.
	NotModelled
	// Differs: the replay is not the reply.
	Differs
)

func (v Verdict) String() string {
	return [...]string{"agree", "agree as a set", "labelled", "not modelled", "differs"}[v]
}

// CompareReply compares the output the model replayed for request e with
// the reply the server sent (RESP2 or RESP3 bytes, as a recording proxy
// saw them). A reply the model gives while saying it depends on what the
// log does not hold (Command.Random: an automatic stream id) is compared
// all the same: the explanation labels it.
func CompareReply(e *formats.Event, out provenance.Output, real []byte) Verdict {
	o := string(out)
	switch o {
	case rNotRun:
		return NotModelled
	case rUnknown, rUnknownEnd, rUnknownScan, rHelp, rBlocked, rNotBlocked, rUnknownOrderUnsub, rExecUnknown:
		return Labelled
	}
	want, err := ToRESP2(e, real)
	if err != nil {
		return Differs
	}
	resp, unord := splitOutput(o)
	if resp == want {
		return Agree
	}
	if unord && sameUnordered(resp, unorderedPaths(o), want) {
		return AgreeAsSet
	}
	return Differs
}

// sameUnordered reports whether a RESP2 reply equals the model's resp
// once each array at paths (sorted listings, see unorderedPaths) is
// sorted as the model sorts it: by element, or, for a map-like listing
// (HGETALL), by field with each value after its field.
func sameUnordered(resp string, paths []string, reply string) bool {
	at := make(map[string]bool, len(paths))
	for _, p := range paths {
		at[p] = true
	}
	m, rest, err := parse3(resp)
	if err != nil || rest != "" {
		return false
	}
	r, rest, err := parse3(reply)
	if err != nil || rest != "" {
		return false
	}
	return matchUnordered(m, r, "", at)
}

func matchUnordered(m, r value3, path string, at map[string]bool) bool {
	ms, rs := m.resp2(), r.resp2()
	if ms == rs {
		return true
	}
	if at[path] {
		if s, err := canonicalSet(rs); err == nil && s == ms {
			return true
		}
		s, err := canonicalPairs(rs)
		return err == nil && s == ms
	}
	if m.typ != '*' || r.typ != '*' || m.null || r.null || len(m.elems) != len(r.elems) {
		return false
	}
	for i := range m.elems {
		if !matchUnordered(m.elems[i], r.elems[i], path+"/"+strconv.Itoa(i), at) {
			return false
		}
	}
	return true
}

// canonicalPairs sorts a flat array of field-value pairs by field.
func canonicalPairs(resp string) (string, error) {
	items, rest, ok := splitArray(resp)
	if !ok || rest != "" || len(items)%2 != 0 {
		return "", errors.New("not pairs")
	}
	type pair struct{ f, v string }
	ps := make([]pair, len(items)/2)
	for i := range ps {
		ps[i] = pair{items[2*i], items[2*i+1]}
	}
	sortPairs := func(i, j int) bool { return bulkBody(ps[i].f) < bulkBody(ps[j].f) }
	for i := 1; i < len(ps); i++ {
		for j := i; j > 0 && sortPairs(j, j-1); j-- {
			ps[j], ps[j-1] = ps[j-1], ps[j]
		}
	}
	var out []string
	for _, p := range ps {
		out = append(out, p.f, p.v)
	}
	return array(out), nil
}

// bulkBody returns the bytes of a bulk string's encoding.
func bulkBody(item string) string {
	_, rest, _ := strings.Cut(item, "\r\n")
	return strings.TrimSuffix(rest, "\r\n")
}

// ToRESP2 rewrites a reply as Redis would have sent it to a RESP2 client:
// a RESP2 reply is returned as it is; a RESP3 one (after HELLO 3) has its
// maps, sets, doubles, booleans, nulls and big numbers turned into their
// RESP2 forms, and the replies whose shape RESP3 changes (pairs with
// scores, XREAD's map of streams) flattened as RESP2 has them.
//
// A reply of several values (SUBSCRIBE to several channels) is rewritten
// value by value.
func ToRESP2(e *formats.Event, reply []byte) (string, error) {
	rest := string(reply)
	var out strings.Builder
	for rest != "" {
		v, more, err := parse3(rest)
		if err != nil {
			return "", err
		}
		if !v.resp3() {
			out.WriteString(rest[:len(rest)-len(more)])
		} else {
			out.WriteString(reshape(e, v).resp2())
		}
		rest = more
	}
	return out.String(), nil
}

// A value3 is a parsed RESP2 or RESP3 value.
type value3 struct {
	typ   byte // + - : $ * _ , # ! = ( % ~ > |
	str   string
	null  bool
	elems []value3
}

func (v value3) resp3() bool {
	switch v.typ {
	case '_', ',', '#', '!', '=', '(', '%', '~', '>', '|':
		return true
	}
	for _, x := range v.elems {
		if x.resp3() {
			return true
		}
	}
	return false
}

// resp2 encodes a value as RESP2.
func (v value3) resp2() string {
	switch v.typ {
	case '+':
		return "+" + v.str + "\r\n"
	case '-', '!':
		return "-" + v.str + "\r\n"
	case ':':
		return ":" + v.str + "\r\n"
	case '#':
		if v.str == "t" {
			return rOne
		}
		return rZero
	case '$', ',', '(', '=':
		if v.null {
			return rNil
		}
		return bulkString(v.str)
	case '_':
		return rNil // a RESP3 null: RESP2 says $-1 or *-1, see nullFor
	case '*', '~', '>', '%':
		if v.null {
			return rNilArray
		}
		items := make([]string, len(v.elems))
		for i, x := range v.elems {
			items[i] = x.resp2()
		}
		return array(items)
	}
	return ""
}

// reshape turns a RESP3 reply's structure into RESP2's where the two
// differ beyond the types: nested [member, score] pairs flatten, XREAD's
// map of streams becomes an array of [stream, entries] pairs, and a null
// becomes the null RESP2 uses for the command.
func reshape(e *formats.Event, v value3) value3 {
	if v.typ == '_' {
		if nullArray(e) {
			return value3{typ: '*', null: true}
		}
		return value3{typ: '$', null: true}
	}
	op := e.Op
	withScores := false
	for _, a := range e.Args {
		if cEqual(a, "WITHSCORES") || cEqual(a, "WITHVALUES") {
			withScores = true
		}
	}
	flattenPairs := func(x value3) value3 {
		var flat []value3
		for _, p := range x.elems {
			if p.typ == '*' && len(p.elems) == 2 {
				flat = append(flat, p.elems...)
			} else {
				flat = append(flat, p)
			}
		}
		x.elems = flat
		return x
	}
	switch {
	case (op == "ZRANGE" || op == "ZRANGEBYSCORE" || op == "ZREVRANGEBYSCORE" || op == "ZREVRANGE" || op == "ZRANGEBYLEX" ||
		op == "ZREVRANGEBYLEX" || op == "ZUNION" || op == "ZINTER" || op == "ZDIFF" || op == "ZRANDMEMBER" || op == "HRANDFIELD") && withScores:
		return flattenPairs(v)
	case (op == "ZPOPMIN" || op == "ZPOPMAX") && len(e.Args) > 1:
		return flattenPairs(v)
	case op == "ZMPOP" || op == "BZMPOP":
		if len(v.elems) == 2 {
			v.elems[1] = flattenPairs(v.elems[1])
		}
		return v
	case (op == "XREAD" || op == "XREADGROUP") && v.typ == '%':
		var pairs []value3
		for i := 0; i+1 < len(v.elems); i += 2 {
			pairs = append(pairs, value3{typ: '*', elems: []value3{v.elems[i], v.elems[i+1]}})
		}
		return value3{typ: '*', elems: pairs}
	case op == "GEOPOS" && v.typ == '*':
		// A missing member's null is RESP2's null array.
		for i, x := range v.elems {
			if x.typ == '_' {
				v.elems[i] = value3{typ: '*', null: true}
			}
		}
		return v
	case op == "EXEC" && v.typ == '*':
		// Each element is the reply of a queued command.
		return v
	}
	return v
}

// nullArray reports whether a command's nil is RESP2's null array.
func nullArray(e *formats.Event) bool {
	switch e.Op {
	case "EXEC", "BLPOP", "BRPOP", "BLMPOP", "LMPOP", "BZPOPMIN", "BZPOPMAX", "BZMPOP", "ZMPOP", "XREAD", "XREADGROUP":
		return true
	case "LPOP", "RPOP", "SPOP":
		return len(e.Args) > 1
	}
	return false
}

// parse3 parses one RESP2 or RESP3 value.
func parse3(s string) (value3, string, error) {
	line, rest, ok := strings.Cut(s, "\r\n")
	if !ok || line == "" {
		return value3{}, s, errors.New("truncated reply")
	}
	v := value3{typ: line[0], str: line[1:]}
	switch v.typ {
	case '+', '-', ':', ',', '#', '(':
		return v, rest, nil
	case '_':
		v.null = true
		return v, rest, nil
	case '$', '!', '=', '*', '~', '>', '%', '|':
		// A length follows: of a string, or of an aggregate.
		n, err := strconv.Atoi(line[1:])
		if err != nil {
			return v, s, err
		}
		if n < 0 {
			v.null = true
			return v, rest, nil
		}
		if strings.IndexByte("$!=", v.typ) >= 0 {
			if len(rest) < n+2 {
				return v, s, errors.New("truncated bulk string")
			}
			v.str, rest = rest[:n], rest[n+2:]
			if v.typ == '=' && len(v.str) >= 4 {
				v.str = v.str[4:] // "txt:" and the like
			}
			return v, rest, nil
		}
		if v.typ == '%' || v.typ == '|' {
			n *= 2
		}
		for i := 0; i < n; i++ {
			var x value3
			if x, rest, err = parse3(rest); err != nil {
				return v, s, err
			}
			v.elems = append(v.elems, x)
		}
		if v.typ == '|' {
			// An attribute precedes the value it annotates.
			return parse3(rest)
		}
		return v, rest, nil
	}
	return v, s, errors.New("unknown reply type " + strconv.Quote(line[:1]))
}

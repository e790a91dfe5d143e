package redis

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/wat-project/wat/formats"
)

// A SubRef is one part of a key that a call touches: a field of a hash,
// a member of a set, sorted set or geo set, an entry of a stream, a bit
// of a string.
type SubRef struct {
	// Arg is the key's position among the call's arguments (1: the
	// first argument after the command's name).
	Arg int
	// Sub names the part: the field, the member, the entry id as
	// "ms-seq", the bit's offset in decimal.
	Sub []byte
	// Kind is formats.KindRead for a part the call reads,
	// formats.KindReset for one it sets or removes whatever it held
	// (the reply may still tell what it held: HSET counts new fields),
	// formats.KindWrite for one whose new state depends on the old
	// (HINCRBY, HSETNX).
	Kind int
}

// SubKeys declares which parts of its keys a command touches. A command
// without it touches its keys whole (HGETALL, SMEMBERS, ZRANGE, SPOP):
// its reply or effect may depend on every part.
//
// The declaration covers the parts only: whether the key exists, its
// type and its expiry are the key's own, and every command reads them.
// TestSubKeysDeclared checks each declaration against the model: a part
// left out does not change the call's reply, and the call does not change
// it.
type SubKeys struct {
	// Doc says where they are, for `wat specs`.
	Doc string
	// Of lists them for a call's arguments (the name not among them);
	// none for a call Redis refuses before it touches any (a field
	// without its value).
	Of func(args [][]byte) []SubRef
}

// SubKeysOf returns the parts of keys that request e touches, and
// whether its command declares them; ok is false for a command that
// touches its keys whole, or one the table does not have.
func SubKeysOf(e *formats.Event) (subs []SubRef, ok bool) {
	c := lookup(e.Op, e.Args)
	if c == nil || c.Sub.Of == nil {
		return nil, false
	}
	if !c.arityOK(len(e.Args) + 1) {
		return nil, true
	}
	return c.Sub.Of(e.Args), true
}

// kindWords says what a call does to a part, for `wat specs`.
var kindWords = map[int]string{formats.KindRead: "read", formats.KindReset: "set or removed", formats.KindWrite: "changed"}

// subsFrom declares the parts named at argument positions from,
// from+step, ... to the end (step 2: field-value pairs), of the key at
// argument 1. With step 2 an odd number of remaining arguments is
// refused by Redis before it touches anything.
func subsFrom(noun string, from, step int, kind int) SubKeys {
	doc := fmt.Sprintf("the %s from argument %d (%s)", noun, from, kindWords[kind])
	if step > 1 {
		doc = fmt.Sprintf("the %s from argument %d, every %s argument (%s)", noun, from, map[int]string{2: "other", 3: "third"}[step], kindWords[kind])
	}
	return SubKeys{Doc: doc, Of: func(args [][]byte) []SubRef {
		if len(args) < from || (len(args)-from+1)%step != 0 {
			return nil
		}
		out := make([]SubRef, 0, (len(args)-from+1)/step)
		for i := from; i <= len(args); i += step {
			out = append(out, SubRef{Arg: 1, Sub: args[i-1], Kind: kind})
		}
		return out
	}}
}

// subAt declares the one part named at argument position pos, of the key
// at argument 1.
func subAt(noun string, pos int, kind int) SubKeys {
	return SubKeys{Doc: fmt.Sprintf("the %s at argument %d (%s)", noun, pos, kindWords[kind]),
		Of: func(args [][]byte) []SubRef {
			if len(args) < pos {
				return nil
			}
			return []SubRef{{Arg: 1, Sub: args[pos-1], Kind: kind}}
		}}
}

// subBit declares the bit at the offset of argument 2 (SETBIT, GETBIT):
// an offset Redis refuses touches nothing.
func subBit(kind int) SubKeys {
	return SubKeys{Doc: "the bit at the offset of argument 2 (" + kindWords[kind] + ")",
		Of: func(args [][]byte) []SubRef {
			if len(args) < 2 {
				return nil
			}
			off, err := strconv.ParseUint(string(args[1]), 10, 64)
			if err != nil || off >= 1<<32 {
				return nil
			}
			return []SubRef{{Arg: 1, Sub: []byte(strconv.FormatUint(off, 10)), Kind: kind}}
		}}
}

// smoveSubs: SMOVE source destination member removes the member from the
// source and, if it was there, adds it to the destination.
var smoveSubs = SubKeys{Doc: "the member at argument 3, in both keys (removed from the first; added to the second if it was there)",
	Of: func(args [][]byte) []SubRef {
		if len(args) != 3 {
			return nil
		}
		from := formats.KindReset
		if string(args[0]) == string(args[1]) {
			from = formats.KindWrite // a move onto itself keeps the member where it was
		}
		return []SubRef{{Arg: 1, Sub: args[2], Kind: from}, {Arg: 2, Sub: args[2], Kind: formats.KindWrite}}
	}}

// geodistSubs: GEODIST key member1 member2 [unit] reads both members.
var geodistSubs = SubKeys{Doc: "the members at arguments 2 and 3 (read)",
	Of: func(args [][]byte) []SubRef {
		if len(args) < 3 {
			return nil
		}
		return []SubRef{{Arg: 1, Sub: args[1], Kind: formats.KindRead}, {Arg: 1, Sub: args[2], Kind: formats.KindRead}}
	}}

// zaddSubs: ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member ... sets
// its members' scores; with a condition or INCR the new score depends on
// the old.
var zaddSubs = optionedSubs("score", 2, map[string]bool{"NX": true, "XX": true, "GT": true, "LT": true, "INCR": true, "CH": false})

// geoaddSubs: GEOADD key [NX|XX] [CH] longitude latitude member ...
var geoaddSubs = optionedSubs("longitude latitude", 3, map[string]bool{"NX": true, "XX": true, "CH": false})

// optionedSubs declares the members of ZADD and GEOADD: after the
// options (case-insensitive; those marked true make the new value depend
// on the old), groups of n arguments, each ending with a member. A
// trailing partial group is refused by Redis before anything changes.
func optionedSubs(what string, n int, opts map[string]bool) SubKeys {
	doc := fmt.Sprintf("the member after each %s, following the options (set; changed with ", what)
	var conds []string
	for o, c := range opts {
		if c {
			conds = append(conds, o)
		}
	}
	sort.Strings(conds)
	doc += strings.Join(conds, ", ") + ")"
	return SubKeys{Doc: doc, Of: func(args [][]byte) []SubRef {
		kind := formats.KindReset
		i := 1
		for ; i < len(args); i++ {
			cond, ok := opts[optUpper(args[i])]
			if !ok {
				break
			}
			if cond {
				kind = formats.KindWrite
			}
		}
		rest := args[i:]
		if len(rest) == 0 || len(rest)%n != 0 {
			return nil
		}
		out := make([]SubRef, 0, len(rest)/n)
		for j := n - 1; j < len(rest); j += n {
			out = append(out, SubRef{Arg: 1, Sub: rest[j], Kind: kind})
		}
		return out
	}}
}

// xdelSubs: XDEL key id ... removes the entries of those ids (as
// "ms-seq"; an id Redis refuses makes the call remove none).
var xdelSubs = SubKeys{Doc: "the entries of the ids from argument 2 (removed)",
	Of: func(args [][]byte) []SubRef {
		ids, ok := parseIDs(args, 1)
		if !ok {
			return nil
		}
		out := make([]SubRef, len(ids))
		for i, id := range ids {
			out[i] = SubRef{Arg: 1, Sub: []byte(id.String()), Kind: formats.KindReset}
		}
		return out
	}}

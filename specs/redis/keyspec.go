package redis

import (
	"strings"
)

// A KeySpec says which arguments of a command are keys, as Redis's own
// key specifications do (COMMAND INFO; see
// https://redis.io/docs/latest/develop/reference/key-specs/): a search
// begins at an argument (Begin), then a rule picks the keys from there
// (Find). Positions count the command name as 0, as Redis does; a
// subcommand is argument 1.
type KeySpec struct {
	// Flags are Redis's key-spec flags, space separated: RO, RW, OW or RM
	// (read only, read-write, overwrite, remove), then access, update,
	// insert, delete, not_key, incomplete, variable_flags.
	Flags string
	Begin Begin
	Find  Find
}

// A Begin is where the search for keys starts: at a fixed argument
// (Index), or after the first argument equal to a keyword, looked for
// from argument From onwards (or, when From is negative, backwards from
// that far from the end).
type Begin struct {
	Index   int
	Keyword string
	From    int
	Unknown bool // the keys cannot be found from the arguments alone
}

// A Find picks the keys from where the search began: a range of them
// (LastKey: the last key's offset, or counted from the end of the
// arguments when negative; KeyStep between keys; Limit, with LastKey -1,
// divides the rest), or a number of them read from an argument (KeyNum:
// the count at offset KeyNumIdx, the keys from offset FirstKey).
type Find struct {
	LastKey, KeyStep, Limit int
	KeyNum                  bool
	KeyNumIdx, FirstKey     int
	Unknown                 bool
}

// Index begins the search at argument n.
func Index(n int) Begin { return Begin{Index: n} }

// Keyword begins the search after the first argument equal to kw, looked
// for from argument from (negative: from the end, backwards).
func Keyword(kw string, from int) Begin { return Begin{Keyword: kw, From: from} }

// Range takes the keys from the search's start to last (an offset, or
// from the end when negative), every step-th argument.
func Range(last, step, limit int) Find { return Find{LastKey: last, KeyStep: step, Limit: limit} }

// KeyNum reads the number of keys at offset idx and takes that many keys
// from offset first, every step-th argument.
func KeyNum(idx, first, step int) Find {
	return Find{KeyNum: true, KeyNumIdx: idx, FirstKey: first, KeyStep: step}
}

// unknownBegin and unknownFind mark a key spec Redis cannot evaluate from
// the arguments (SORT's BY and GET patterns).
var (
	unknownBegin = Begin{Unknown: true}
	unknownFind  = Find{Unknown: true}
)

// has reports whether the spec's flags hold flag.
func (k KeySpec) has(flag string) bool { return hasWord(k.Flags, flag) }

// hasWord reports whether a space-separated list holds a word, without
// allocating (it runs for every event ingested).
func hasWord(list, w string) bool {
	for list != "" {
		i := strings.IndexByte(list, ' ')
		if i < 0 {
			return list == w
		}
		if list[:i] == w {
			return true
		}
		list = list[i+1:]
	}
	return false
}

// readOnly reports whether the keys the spec finds are only read.
func (k KeySpec) readOnly() bool { return k.has("RO") }

// appendPositions appends to dst the argument positions (the command
// name is 0) of the keys the spec finds in a call whose arguments after
// the name are args, as Redis's getKeysUsingKeySpecs does; ok is false
// when the spec cannot be evaluated (a keyword search failing is not
// that: it finds no keys).
func (k KeySpec) appendPositions(dst []int, args [][]byte) (pos []int, ok bool) {
	argc := len(args) + 1
	at := func(i int) []byte { return args[i-1] }
	if k.Begin.Unknown || k.Find.Unknown {
		return dst, false
	}
	first := 0
	if k.Begin.Keyword == "" {
		first = k.Begin.Index
	} else {
		start, end := k.Begin.From, argc-1
		if start <= 0 {
			start, end = argc+k.Begin.From, 1
		}
		for i := start; i != end; {
			if i >= argc || i < 1 {
				break
			}
			if cEqual(at(i), k.Begin.Keyword) {
				first = i + 1
				break
			}
			if start <= end {
				i++
			} else {
				i--
			}
		}
		if first == 0 {
			return dst, true
		}
	}
	var last, step int
	if !k.Find.KeyNum {
		step = k.Find.KeyStep
		switch {
		case k.Find.LastKey >= 0:
			last = first + k.Find.LastKey
		case k.Find.Limit == 0:
			last = argc + k.Find.LastKey
		default:
			last = first + ((argc-first)/k.Find.Limit + k.Find.LastKey)
		}
	} else {
		step = k.Find.KeyStep
		if first+k.Find.KeyNumIdx >= argc || first+k.Find.KeyNumIdx < 1 {
			return dst, false
		}
		n, good := parseInt(at(first + k.Find.KeyNumIdx))
		if !good || n < 0 || n > int64(argc) {
			return dst, false
		}
		first += k.Find.FirstKey
		last = first + int(n) - 1
	}
	if last >= argc || last < first || first >= argc || first < 1 {
		if k.Find.KeyNum && last == first-1 {
			return dst, true // zero keys
		}
		return dst, false
	}
	if step <= 0 {
		step = 1
	}
	for i := first; i <= last; i += step {
		dst = append(dst, i)
	}
	return dst, true
}

// keyAt is the specification of the one key at argument i.
func keyAt(i int, flags string) KeySpec {
	return KeySpec{Flags: flags, Begin: Index(i), Find: Range(0, 1, 0)}
}

// keysFrom is the specification of the keys from argument i to the last.
func keysFrom(i int, flags string) KeySpec {
	return KeySpec{Flags: flags, Begin: Index(i), Find: Range(-1, 1, 0)}
}

// keysBeforeLast is the specification of the keys from argument i to the
// one before the last (a blocking command's timeout comes last).
func keysBeforeLast(i int, flags string) KeySpec {
	return KeySpec{Flags: flags, Begin: Index(i), Find: Range(-2, 1, 0)}
}

// keysCounted is the specification of the keys counted by argument i and
// following it (ZUNION's numkeys).
func keysCounted(i int, flags string) KeySpec {
	return KeySpec{Flags: flags, Begin: Index(i), Find: KeyNum(0, 1, 1)}
}

package formats

import (
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Logs are often kept as several files: rotated (mon.log.1, mon.log.2.gz,
// mon.log-20261124) or one per process (strace -ff's trace.4211). These
// functions name the log a file is part of and order its files.

// DefaultInstance is the instance a file of format f belongs to when
// none is named: its LogName for a format whose captures are kept apart
// (Format.Separate), else "": the file joins the history of every
// instance of its system.
func DefaultInstance(f *Format, path string) string {
	if f != nil && f.Separate {
		return LogName(path)
	}
	return ""
}

// LogName is the name of the log a file is part of: its path without
// the suffixes that rotation and compression add (".1", ".2.gz",
// "-20261124", ".gz"), so that mon.log.1 and mon.log are one log and
// cache-a.log and cache-b.log two.
func LogName(path string) string {
	p := filepath.Clean(path)
	for {
		q, _, _ := rotation(p)
		if q == p {
			return p
		}
		p = q
	}
}

// RotationNumber is the number rotation gave a file of a log (mon.log.3,
// mon.log.3.gz: 3); 0 for the current file (mon.log), and ok false for a
// dated file, whose number is not known.
func RotationNumber(path string) (n int, ok bool) {
	_, n, date := rotation(filepath.Clean(path))
	return n, date == ""
}

// rotation splits from a path a ".gz" and one suffix that rotation adds:
// ".N" (n, the higher the older) or "-YYYYMMDD" (date).
func rotation(p string) (base string, n int, date string) {
	base = strings.TrimSuffix(p, ".gz")
	i := strings.LastIndexAny(base, ".-")
	if i <= 0 || !isDigits(base[i+1:]) {
		return base, 0, ""
	}
	switch {
	case base[i] == '.':
		n, _ = strconv.Atoi(base[i+1:])
		return base[:i], n, ""
	case len(base)-i-1 == 8:
		return base[:i], 0, base[i+1:]
	}
	return base, 0, ""
}

// RotationOrder orders paths so that the files of one log (one LogName)
// come oldest first, where the first of them stood: mon.log.2.gz,
// mon.log.1, then mon.log; dated files (mon.log-20261123) by date,
// before the current one. Other paths keep their places.
func RotationOrder(paths []string) []string {
	older := func(a, b string) bool { // a is older than b
		_, na, da := rotation(filepath.Clean(a))
		_, nb, db := rotation(filepath.Clean(b))
		if na != nb {
			return na > nb
		}
		if (da == "") != (db == "") {
			return da != ""
		}
		return da < db
	}
	groups := map[string][]string{}
	var order []string
	for _, p := range paths {
		n := LogName(p)
		if _, ok := groups[n]; !ok {
			order = append(order, n)
		}
		groups[n] = append(groups[n], p)
	}
	out := make([]string, 0, len(paths))
	for _, n := range order {
		g := groups[n]
		if perProcess(g) {
			sort.SliceStable(g, func(i, j int) bool {
				_, a, _ := rotation(filepath.Clean(g[i]))
				_, b, _ := rotation(filepath.Clean(g[j]))
				return a < b
			})
		} else {
			sort.SliceStable(g, func(i, j int) bool { return older(g[i], g[j]) })
		}
		out = append(out, g...)
	}
	return out
}

// perProcess tells whether the numbered files of a log are per-process
// files (strace -ff's trace.4211, trace.4230) rather than rotated ones:
// there is no unnumbered file, and no number is 0 or 1 (where rotation
// starts, and no process id is). They go in process id order, which is
// the order the processes began in, until the ids wrap.
func perProcess(g []string) bool {
	for _, p := range g {
		if _, n, date := rotation(filepath.Clean(p)); n <= 1 || date != "" {
			return false
		}
	}
	return true
}

func isDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

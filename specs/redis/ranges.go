package redis

// parseRange reads the start and end indexes of LRANGE, LTRIM, GETRANGE
// and the like; ok is false when either is not an integer.
func parseRange(start, end []byte) (from, to int64, ok bool) {
	from, ok1 := parseInt(start)
	to, ok2 := parseInt(end)
	return from, to, ok1 && ok2
}

// listRange clamps the start and end of LRANGE, LTRIM, ZRANGE and
// ZREMRANGEBYRANK (negative: from the end) to n elements as Redis does:
// start is raised to 0 and end lowered to n-1. It reports false when no
// element is left.
func listRange(start, end, n int64) (from, to int64, ok bool) {
	start, end = fromEnd(start, end, n)
	if start > end || start >= n {
		return 0, 0, false
	}
	return start, min(end, n-1), true
}

// stringRange clamps GETRANGE's, BITCOUNT's and BITPOS's start and end
// (negative: from the end) to n bytes or bits as Redis does: unlike
// listRange, both are raised to 0 before end is lowered to n-1, so an end
// before the string still keeps its first unit. The callers check a
// start and end both negative and out of order first. It reports false
// when no unit is left.
func stringRange(start, end, n int64) (from, to int64, ok bool) {
	start, end = fromEnd(start, end, n)
	end = min(max(end, 0), n-1)
	if start > end {
		return 0, 0, false
	}
	return start, end, true
}

// fromEnd counts a negative start or end from the end of n units, as
// listRange and stringRange do first, and raises start to 0.
func fromEnd(start, end, n int64) (int64, int64) {
	if start < 0 {
		start += n
	}
	if end < 0 {
		end += n
	}
	return max(start, 0), end
}

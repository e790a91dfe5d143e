package redis

// The hyperloglog commands.
var hyperloglogCommands = inGroup("hyperloglog", []*Command{
	{Name: "PFADD", Arity: -2, Flags: "write denyoom fast",
		Keys: []KeySpec{{Flags: "RW insert", Begin: Index(1), Find: Range(0, 1, 0)}},
		Why:  "not modelled yet"},
	{Name: "PFCOUNT", Arity: -2, Flags: "readonly",
		Keys: []KeySpec{{Flags: "RW access", Begin: Index(1), Find: Range(-1, 1, 0)}},
		Why:  "not modelled yet"},
	{Name: "PFDEBUG", Arity: 3, Flags: "write denyoom admin",
		Keys: []KeySpec{{Flags: "RW access", Begin: Index(2), Find: Range(0, 1, 0)}},
		Why:  whyAdmin},
	{Name: "PFMERGE", Arity: -2, Flags: "write denyoom",
		Keys: []KeySpec{{Flags: "RW access insert", Begin: Index(1), Find: Range(0, 1, 0)}, {Flags: "RO access", Begin: Index(2), Find: Range(-1, 1, 0)}},
		Why:  "not modelled yet"},
	{Name: "PFSELFTEST", Arity: 1, Flags: "admin",
		Why: whyAdmin},
})

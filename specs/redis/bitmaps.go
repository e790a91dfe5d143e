package redis

// The bitmap commands.
var bitmapCommands = inGroup("bitmap", []*Command{
	{Name: "BITCOUNT", Arity: -2, Flags: "readonly",
		Keys: []KeySpec{{Flags: "RO access", Begin: Index(1), Find: Range(0, 1, 0)}},
		Why:  "not modelled yet"},
	{Name: "BITFIELD", Arity: -2, Flags: "write denyoom",
		Keys: []KeySpec{{Flags: "RW access update variable_flags", Begin: Index(1), Find: Range(0, 1, 0)}},
		Why:  "not modelled yet"},
	{Name: "BITFIELD_RO", Arity: -2, Flags: "readonly fast",
		Keys: []KeySpec{{Flags: "RO access", Begin: Index(1), Find: Range(0, 1, 0)}},
		Why:  "not modelled yet"},
	{Name: "BITOP", Arity: -4, Flags: "write denyoom",
		Keys: []KeySpec{{Flags: "OW update", Begin: Index(2), Find: Range(0, 1, 0)}, {Flags: "RO access", Begin: Index(3), Find: Range(-1, 1, 0)}},
		Why:  "not modelled yet"},
	{Name: "BITPOS", Arity: -3, Flags: "readonly",
		Keys: []KeySpec{{Flags: "RO access", Begin: Index(1), Find: Range(0, 1, 0)}},
		Why:  "not modelled yet"},
	{Name: "GETBIT", Arity: 3, Flags: "readonly fast",
		Keys: []KeySpec{{Flags: "RO access", Begin: Index(1), Find: Range(0, 1, 0)}},
		Why:  "not modelled yet"},
	{Name: "SETBIT", Arity: 4, Flags: "write denyoom",
		Keys: []KeySpec{{Flags: "RW access update", Begin: Index(1), Find: Range(0, 1, 0)}},
		Why:  "not modelled yet"},
})

package redis

import (
	lua "github.com/yuin/gopher-lua"
)

// Redis's redis.* API for scripts (script_lua.c, eval.c). redis.log and
// the replication and debugging calls have no effect on replies.

func (vm *luaVM) redisLib() *lua.LTable {
	t := vm.libTable(map[string]lua.LGFunction{
		"call":          func(L *lua.LState) int { return vm.redisCall(L, true) },
		"pcall":         func(L *lua.LState) int { return vm.redisCall(L, false) },
		"log":           vm.redisLog,
		"setresp":       vm.redisSetresp,
		"sha1hex":       vm.redisSha1hex,
		"error_reply":   vm.redisErrorReply,
		"status_reply":  vm.redisStatusReply,
		"set_repl":      vm.redisSetRepl,
		"acl_check_cmd": vm.redisACLCheck,
		"breakpoint": func(L *lua.LState) int {
			L.Push(lua.LFalse)
			return 1
		},
		"debug": func(L *lua.LState) int { return 0 },
		"replicate_commands": func(L *lua.LState) int {
			L.Push(lua.LTrue)
			return 1
		},
	})
	nums := map[string]float64{
		"LOG_DEBUG": 0, "LOG_VERBOSE": 1, "LOG_NOTICE": 2, "LOG_WARNING": 3,
		"REPL_NONE": 0, "REPL_AOF": 1, "REPL_SLAVE": 2, "REPL_REPLICA": 2, "REPL_ALL": 3,
		"REDIS_VERSION_NUM": 7<<16 | 0<<8 | 15,
	}
	for name, n := range nums {
		t.RawSetString(name, lua.LNumber(n))
	}
	t.RawSetString("REDIS_VERSION", lua.LString("7.0.15"))
	return t
}

// raiseRedisError raises the error table luaPushError builds for a
// message of Redis's own (code ERR).
func (vm *luaVM) raiseRedisError(L *lua.LState, msg string) {
	vm.raise(L, vm.errorTable(msg, false), false)
}

func (vm *luaVM) redisLog(L *lua.LState) int {
	n := L.GetTop()
	if n < 2 {
		vm.raiseRedisError(L, "redis.log() requires two arguments or more.")
	}
	level, ok := luaToNumber(L.Get(1))
	if !ok {
		vm.raiseRedisError(L, "First argument must be a number (log level).")
	}
	if l := luaDoubleToInt32(level); l < 0 || l > 3 {
		vm.raiseRedisError(L, "Invalid debug level.")
	}
	return 0
}

// intArg reads the one argument of redis.setresp and redis.set_repl:
// with another count Redis raises usage, else it reads the argument as a
// C int with lua_tonumber (0 for what is not a number).
func (vm *luaVM) intArg(L *lua.LState, usage string) int32 {
	if L.GetTop() != 1 {
		vm.raiseRedisError(L, usage)
	}
	f, _ := luaToNumber(L.Get(1))
	return luaDoubleToInt32(f)
}

func (vm *luaVM) redisSetresp(L *lua.LState) int {
	switch vm.intArg(L, "redis.setresp() requires one argument.") {
	case 2:
		return 0
	case 3:
		vm.abort(L, "redis.setresp(3): RESP3 replies inside scripts are not modelled")
	}
	vm.raiseRedisError(L, "RESP version must be 2 or 3.")
	return 0
}

func (vm *luaVM) redisSetRepl(L *lua.LState) int {
	if vm.intArg(L, "redis.set_repl() requires two arguments.")&^3 != 0 {
		vm.raiseRedisError(L, "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.")
	}
	return 0
}

func (vm *luaVM) redisSha1hex(L *lua.LState) int {
	if L.GetTop() != 1 {
		vm.raiseRedisError(L, "wrong number of arguments")
	}
	s, ok := vm.printedStr(L, L.Get(1))
	if !ok {
		vm.abort(L, "redis.sha1hex of a value that is not a string")
	}
	L.Push(lua.LString(sha1hex(s)))
	return 1
}

// replyArg reads the one string argument of redis.status_reply and
// redis.error_reply; without it (ok false) it pushes the error table
// they return instead.
func (vm *luaVM) replyArg(L *lua.LState) (s lua.LString, ok bool) {
	s, ok = L.Get(1).(lua.LString)
	if L.GetTop() != 1 || !ok {
		L.Push(vm.errorTable("wrong number or type of arguments", false))
		return "", false
	}
	return s, true
}

func (vm *luaVM) redisStatusReply(L *lua.LState) int {
	if s, ok := vm.replyArg(L); ok {
		t := vm.newLibTable()
		vm.libSet(t, lua.LString("ok"), s)
		L.Push(t)
	}
	return 1
}

func (vm *luaVM) redisErrorReply(L *lua.LState) int {
	s, ok := vm.replyArg(L)
	if !ok {
		return 1
	}
	e := cString(string(s))
	if len(e) == 0 || e[0] != '-' {
		e = "-" + e
	}
	L.Push(vm.errorTable(e, false))
	return 1
}

func (vm *luaVM) redisACLCheck(L *lua.LState) int {
	n := L.GetTop()
	if n == 0 {
		vm.raiseRedisError(L, "Please specify at least one argument for this redis lib call")
	}
	argv := make([][]byte, n)
	for i := 1; i <= n; i++ {
		switch v := L.Get(i).(type) {
		case lua.LNumber:
			argv[i-1] = []byte(luaFormatFloat(float64(v), 'g', 17, "", 0))
		case lua.LString:
			argv[i-1] = []byte(v)
		default:
			vm.raiseRedisError(L, "Lua redis lib command arguments must be strings or integers")
		}
	}
	cmd, bad := scriptCommand(argv, false)
	if cmd == nil && bad == "Unknown Redis command called from script" {
		vm.raiseRedisError(L, "Invalid command passed to redis.acl_check_cmd()")
	}
	// The command exists; the model assumes the default user, who may
	// run every command.
	L.Push(lua.LTrue)
	return 1
}

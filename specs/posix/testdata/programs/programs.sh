#!/bin/sh
# programs.sh OUTDIR [STRACE-FLAGS...] runs ordinary programs under strace,
# each in a scratch directory of its own, and writes each one's trace to
# OUTDIR/NAME.strace (default flags: -f -yy -s 65536 -tt -T). The programs
# are the ones a postmortem meets: sed -i, cp, mv, cat, head, dd, install,
# mkdir, rm, rmdir (of a full directory, then an empty one),
# ed, vim, git, sqlite3 (rollback journal and WAL), tar with gzip, rsync,
# sort -o, tee, gunzip, ln -s, perl -pi, truncate, split, cp -a, awk,
# bash's redirections, a here-document, mkfifo, install -D, Python threads,
# make and cc, cp -r, mv of a directory, find | xargs, sort -T, git gc,
# rsync's delta transfer and --inplace, patch, git checkout,
# logrotate, redis-server (its log, append-only file, BGSAVE, SAVE),
# zip and unzip, xz, bzip2, tar cJ, gofmt -w, shred, tar rf, mv -b,
# install -b, cp -l, ln -sf, ar, zstd, git rebase and stash, sqlite3
# .backup and .import, tar -S with hard links, a Python service's
# rotating log, shelve, zip and tar appends (services.py), concurrent
# sqlite3 writers, a Node program
# (program.js: file calls run by libuv's thread pool), and a Python
# program (temp file then rename, two processes appending, a forked
# child writing through an inherited fd, sendfile, splice,
# copy_file_range).
# specs/posix/programs_test.go runs it and checks every read against its
# own byte-range replay.
set -eu
out=$1
shift
[ $# -gt 0 ] || set -- -f -yy -s 65536 -tt -T
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d /tmp/wat-programs.XXXXXX)
trap 'rm -rf "$work"' EXIT

# strace's flags go between the name and the command: run NAME CMD FLAGS...
run() {
	name=$1 cmd=$2
	shift 2
	mkdir -p "$work/$name"
	if ! (cd "$work/$name" && strace "$@" -o "$out/$name.strace" sh -c "$cmd" >"$out/$name.stdout" 2>"$out/$name.stderr"); then
		echo "programs.sh: $name failed:" >&2
		cat "$out/$name.stderr" >&2
		exit 1
	fi
}

run sed 'printf "a=1\nb=2\n" > conf && sed -i s/1/3/ conf && cat conf && head -n1 conf' "$@"
run coreutils 'printf "hello\nworld\n" > a && cp a b && mv b c && cat c && cat < c && head -c 7 c &&
dd if=c of=d bs=4 2>/dev/null && cat d && install -m 644 d e && cat e && cp --reflink=never e f && cat f &&
mkdir g && cp a g/h && { rmdir g 2>/dev/null || true; } && rm g/h && rmdir g && ls' "$@"
# fallocate: a file made longer with zeros, a hole punched in it, a
# range zeroed past its end, and space kept beyond it (a file system
# without holes or zeroed ranges refuses those two: the replay follows).
run fallocate 'printf "abcdef" > fa && fallocate -l 10 fa && { fallocate -p -o 1 -l 2 fa || true; } &&
{ fallocate -z -o 8 -l 4 fa || true; } && cat fa && fallocate -n -o 0 -l 20 fa && cat fa' "$@"
run ed 'printf "one\ntwo\n" > f && printf "2s/two/TWO/\nw\nq\n" | ed -s f && cat f' "$@"
# vim: a swap file written, synced and removed; the file opened without
# O_TRUNC, truncated, written and synced in place; twice, by two vims.
run vim 'printf "a=1\nb=2\n" > conf && vim -Es -u NONE -i NONE -c "%s/1/3/" -c wq conf &&
vim -Es -u NONE -i NONE -c "%s/2/4/" -c wq conf && cat conf' "$@"
run git 'git init -q r && cd r && printf "x\n" > f && git add f &&
git -c user.name=a -c user.email=a@b commit -qm first && printf "y\n" >> f &&
git -c user.name=a -c user.email=a@b commit -qam second && git show HEAD~1:f && git log --format=%s' "$@"
run sqlite 'sqlite3 db "create table t(x); insert into t values(1),(2);" && sqlite3 db "update t set x=3 where x=1; select * from t;" &&
sqlite3 wal.db "pragma journal_mode=wal; create table t(x); insert into t values(7);" && sqlite3 wal.db "select * from t;"' "$@"
run tar 'mkdir d && printf "aaa\n" > d/a && printf "bbb\n" > d/b && tar czf t.tgz d && mkdir x &&
tar xzf t.tgz -C x && cat x/d/a x/d/b' "$@"
run rsync 'printf "r1\nr2\n" > a && rsync a b && cat b' "$@"
run logrotate 'printf "l1\nl2\n" > app.log && printf "%s {\n rotate 2\n copytruncate\n}\n" "$PWD/app.log" > rot.conf &&
logrotate -f -s state rot.conf && cat app.log.1 && printf "l3\n" >> app.log && cat app.log' "$@"
run python "/usr/bin/python3 '$here/program.py'" "$@"
# tools: sort -o onto its input, tee to two files, gzip and gunzip, a
# symlink made and read through (before and after perl -pi replaces its
# target by a rename), truncate, split, cp -a, awk then mv over the file,
# and Python's shutil.copyfile.
run tools 'printf "b\na\nc\n" > s && sort -o s s && cat s && printf "x\n" | tee t u >/dev/null && cat t u &&
gzip -k s && gunzip -c s.gz > s2 && cat s2 && ln -s s2 l && cat l && perl -pi -e "s/a/A/" s2 && cat l &&
truncate -s 3 s2 && cat s2 && split -b 2 s part. && cat part.aa part.ab && mkdir dd && cp -a s t dd/ && cat dd/s &&
awk "{print toupper(\$0)}" t > t2 && mv -f t2 t && cat t && /usr/bin/python3 -c "import shutil; shutil.copyfile(\"t\", \"t3\")" && cat t3' "$@"
# shell: bash's redirections (exec 3>o, a here-document, <> read-write,
# reading an fd after its file is removed, and after it is renamed and
# appended to), a hard link appended through, a FIFO (mkfifo), dd with
# seek and conv=notrunc, sed -i with a backup suffix, install -D (mkdir,
# fchdir).
run shell 'bash -c "exec 3>o; echo one >&3; echo two >&3; exec 3>&-; cat o;
cat <<EOT > h
here \$PWD
EOT
cat h; exec 4<>rw; echo abc >&4; exec 4>&-; cat rw;
ln rw hard; echo more >> hard; cat rw; mkfifo p; (echo via-fifo > p &); cat p;
exec 5<o; rm o; cat <&5; exec 5<&-; printf x > q; exec 6<q; mv q q2; printf yz >> q2; cat <&6;
dd if=rw of=rw2 bs=1 count=2 2>/dev/null; printf ZZ | dd of=rw2 bs=1 seek=1 conv=notrunc 2>/dev/null; cat rw2;
sed -i.bak s/abc/ABC/ rw; cat rw rw.bak hard; install -D -m 644 rw deep/er/f; cat deep/er/f"' "$@"
# threads: Python threads sharing an fd table, and a directory renamed
# and reached through a symlink (threads.py).
run threads "/usr/bin/python3 '$here/threads.py'" "$@"
# build: make runs cc twice (cc1, as and ld, whose object file as writes
# by seeking past its end and back), after m.c changes.
run build 'printf "all: m\nm: m.o\n\tcc -o m m.o\nm.o: m.c\n\tcc -c m.c\n" > Makefile && printf "int main(void){return 3;}\n" > m.c && make -s && { ./m || echo "exit $?"; } && printf "int main(void){return 4;}\n" > m.c && make -s && { ./m || echo "exit $?"; }' "$@"
# more: cp -r, mv of a directory, find | sort | xargs cat, rm -rf, seq
# piping 108 KB to sort, which spills to temporary files (-S 64k -T .), python3 -m json.tool,
# sqlite3 .dump and VACUUM INTO, git gc (pack files).
run more 'mkdir -p t/a t/b && printf 1 > t/a/x && printf 2 > t/b/y && cp -r t u && mv u v && find v -type f | sort | xargs cat &&
rm -rf t && seq 1 20000 | sort -r -S 64k -T . > big && head -c 20 big && printf "{\"a\": [1, 2]}" > i.json && /usr/bin/python3 -m json.tool --compact i.json j.json && cat j.json &&
sqlite3 d.db "create table t(x); insert into t values (5);" && sqlite3 d.db ".dump" > dump.sql && sqlite3 d.db "vacuum into \"e.db\"" && sqlite3 e.db "select * from t" &&
git init -q g && cd g && printf "a\n" > f && git add f && git -c user.name=a -c user.email=a@b commit -qm one && git gc -q && git cat-file -p HEAD:f' "$@"
# admin: rsync's delta transfer onto an existing file (a temporary file,
# then a rename) and --inplace, diff -u and patch, two shells appending to
# one log at once, logrotate's create (rename, then a new file), git
# checkout of a branch and back.
run admin 'seq 1 3000 > a && cp a b && printf "x\n" >> a && rsync --no-whole-file a b && cat b | tail -n 2 &&
rsync --inplace a c && printf "y\n" >> a && rsync --inplace --no-whole-file a c && tail -n 1 c &&
printf "1\n2\n3\n" > p1 && printf "1\nTWO\n3\n" > p2 && { diff -u p1 p2 > d.patch || true; } && patch -s p1 < d.patch && cat p1 &&
( for i in 1 2 3; do echo "A$i" >> log; done ) & ( for i in 1 2 3; do echo "B$i" >> log; done ) & wait && sort log &&
printf "l1\n" > app.log && printf "%s {\n rotate 2\n create\n}\n" "$PWD/app.log" > rot.conf && logrotate -f -s state rot.conf && printf "l2\n" >> app.log && cat app.log app.log.1 &&
git init -q r && cd r && printf "m\n" > f && git add f && git -c user.name=a -c user.email=a@b commit -qm m && git checkout -qb br && printf "b\n" > f &&
git -c user.name=a -c user.email=a@b commit -qam b && git checkout -q master 2>/dev/null || git checkout -q main; cat f && git stash list' "$@"
# redis-server's own files, a server on a Unix socket only (no port):
# its log, opened and closed by each line, by the server, a forked child
# and background threads that close files the main thread's next open
# gets the number of; the append-only file's manifest written to a temp
# file and renamed; BGSAVE's and BGREWRITEAOF's child writing temp-PID
# files that the server renames; SAVE; a SIGTERM shutdown by its pid.
run redis 'set -e; redis-server --port 0 --unixsocket "$PWD/r.sock" --dir "$PWD" --appendonly yes --save "" --logfile "$PWD/r.log" & pid=$!;
trap "kill $pid 2>/dev/null || true" EXIT; i=0; while [ ! -S r.sock ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done;
c() { redis-cli -s r.sock "$@"; }; idle() { while c info persistence | grep -Eq "_in_progress:1|_scheduled:1"; do sleep 0.05; done; };
c set a 1 >/dev/null; c rpush q x y z >/dev/null; c bgsave >/dev/null; idle; c bgrewriteaof >/dev/null; idle; c incr a >/dev/null; c save >/dev/null;
kill $pid; wait $pid; cat appendonlydir/appendonly.aof.manifest; ls appendonlydir; grep -c . r.log' "$@"
run archives 'mkdir d && printf "aaa\n" > d/a && printf "bbb\n" > d/b && zip -qr d.zip d && mkdir x && cd x && unzip -q ../d.zip && cat d/a && cd .. &&
xz -k d/a && xz -dc d/a.xz && bzip2 -k d/b && bzip2 -dc d/b.bz2 && tar cJf t.txz d && tar tJf t.txz && rm -r d && tar xJf t.txz && cat d/b' "$@"
run node "node '$here/program.js'" "$@"
# In-place and backup edits: gofmt -w (a Go program's threads), shred -u,
# tar rf (appending to an archive), mv -b and install -b, cp -l, ln -sf,
# ar (rewrites an archive; reads each member again after seeking back),
# zstd.
run edits 'printf "package main\nfunc  main( ) {\n}\n" > m.go && gofmt -w m.go && cat m.go &&
printf "secret\n" > s && shred -u -n 1 s && ls &&
mkdir d && printf "1\n" > d/a && tar cf t.tar d && printf "2\n" > d/b && tar rf t.tar d/b && tar tf t.tar && tar xOf t.tar d/b &&
printf "A\n" > x && printf "B\n" > y && mv -b y x && cat x x~ && install -b -m 644 x y && cat y &&
cp -l x z && printf "C\n" >> z && cat x && ln -sf x lk && ln -sf y lk && cat lk &&
printf "o1" > a1.o && printf "o2" > a2.o && ar rcs lib.a a1.o a2.o && printf "o3" > a1.o && ar rcs lib.a a1.o && ar p lib.a a1.o && echo &&
printf "zz\n" > zf && zstd -q zf -o zf.zst && zstd -qdc zf.zst' "$@"
# git clone (its processes talk pkt-lines over pipes), rebase, stash and
# tag; sqlite3 in WAL mode with a checkpoint, .backup and .import; tar of
# hard links and a sparse file (-S) and its extraction; cp
# --sparse=always, cp -u, cp -a.
run repos 'git init -q a && cd a && printf "1\n" > f && git add f && git -c user.name=a -c user.email=a@b commit -qm one && cd .. && git clone -q a b && cd b &&
printf "2\n" >> f && git -c user.name=a -c user.email=a@b commit -qam two && git checkout -qb side HEAD~1 && printf "s\n" > g && git add g &&
git -c user.name=a -c user.email=a@b commit -qm side && git -c user.name=a -c user.email=a@b rebase -q master 2>/dev/null || git -c user.name=a -c user.email=a@b rebase -q main; printf "w\n" >> f && git stash -q && git stash pop -q && git diff --stat && git tag v1 && cat f g && cd .. &&
sqlite3 w.db "pragma journal_mode=wal; create table t(x); insert into t values(1);" >/dev/null && sqlite3 w.db "insert into t values(2); pragma wal_checkpoint(truncate);" >/dev/null && sqlite3 w.db ".backup w2.db" && sqlite3 w2.db "select count(*) from t" &&
printf "a,b\n1,2\n" > c.csv && sqlite3 i.db ".import --csv c.csv t" "select * from t" &&
mkdir h && printf "x\n" > h/one && ln h/one h/two && dd if=/dev/zero of=h/sp bs=1 count=1 seek=100000 2>/dev/null && tar cSf h.tar h && mkdir o && tar xf h.tar -C o && cat o/h/two && stat -c %s o/h/sp &&
cp --sparse=always h/sp sp2 && cp -u h/one h/one2 && cp -u h/one h/one2 && cp -a h h2 && cat h2/two' "$@"
# A Python service's files through the standard library (services.py):
# a rotating log, WatchedFileHandler after the log is moved, shelve,
# zipfile and tarfile appends, gzip'd JSON, flock'd appends by two
# processes.
run services "/usr/bin/python3 '$here/services.py'" "$@"
# sqlite3 processes writing one database at once, in WAL mode (its -shm
# mapped shared: labelled unknown) and with a rollback journal, taking
# turns by their locks (.timeout).
run writers 'q() { sqlite3 -cmd ".timeout 5000" "$@" || true; }; q w.db "pragma journal_mode=wal; create table t(x);" >/dev/null;
( for i in 1 2 3 4 5; do q w.db "insert into t values($i);"; done ) & ( for i in 6 7 8 9 10; do q w.db "insert into t values($i);"; done ) & wait;
q w.db "select count(*), sum(x) from t"; q r.db "create table u(y); insert into u values(1);"; ( q r.db "update u set y=y+1" & q r.db "update u set y=y+10" & wait ); q r.db "select y from u"' "$@"

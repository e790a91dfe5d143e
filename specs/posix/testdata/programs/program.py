# program.py: what a Python service does with its files, for programs.sh.
import ctypes
import mmap
import os

# State saved the safe way: a temp file, then rename over the old one.
for n in (1, 2):
    with open("state.json.tmp", "w") as f:
        f.write('{"n": %d}\n' % n)
    os.rename("state.json.tmp", "state.json")
print(open("state.json").read(), end="")

# A log that may be older than the program: where its lines go, the
# trace does not say.
fd = os.open("old.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
os.write(fd, b"appended\n")
os.close(fd)
print(open("old.log").read(), end="")

# Two processes appending to one log through one O_APPEND fd.
fd = os.open("app.log", os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o644)
pid = os.fork()
if pid == 0:
    for i in range(3):
        os.write(fd, b"child %d\n" % i)
    os._exit(0)
os.waitpid(pid, 0)
for i in range(2):
    os.write(fd, b"parent %d\n" % i)
os.close(fd)
print(open("app.log").read(), end="")

# O_APPEND set on a description and taken off again (fcntl F_SETFL):
# the first write after it goes to the end, the next where the offset is.
import fcntl
fd = os.open("flags.txt", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
os.write(fd, b"abcd")
os.lseek(fd, 0, os.SEEK_SET)
fcntl.fcntl(fd, fcntl.F_SETFL, os.O_APPEND)
os.write(fd, b"X")
fcntl.fcntl(fd, fcntl.F_SETFL, 0)
os.lseek(fd, 0, os.SEEK_SET)
os.write(fd, b"Y")
os.close(fd)
print(open("flags.txt").read())

# A shared offset: the child writes through an fd it inherited, then
# the parent goes on where the child stopped.
fd = os.open("shared.txt", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
os.write(fd, b"parent first\n")
pid = os.fork()
if pid == 0:
    os.write(fd, b"child next\n")
    os._exit(0)
os.waitpid(pid, 0)
os.write(fd, b"parent last\n")
os.close(fd)
print(open("shared.txt").read(), end="")

# sendfile, copy_file_range, splice through a pipe, and tee: splice into
# a pipe, tee (libc's, through ctypes: Python has no os.tee) copies its
# bytes into a second pipe and leaves them, splice the copy out, and
# read the bytes left in the first.
def copy(how, src, dst):
    i = os.open(src, os.O_RDONLY)
    o = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    if how == "sendfile":
        os.sendfile(o, i, None, 1 << 16)
    elif how == "copy_file_range":
        os.copy_file_range(i, o, 1 << 16)
    elif how == "tee":
        r1, w1 = os.pipe()
        r2, w2 = os.pipe()
        n = os.splice(i, w1, 1 << 16)
        libc = ctypes.CDLL(None, use_errno=True)
        m = libc.tee(r1, w2, ctypes.c_size_t(n), 0)
        if m != n:
            raise OSError(ctypes.get_errno(), "tee")
        os.splice(r2, o, m)
        print(os.read(r1, n))
        for fd in (r1, w1, r2, w2):
            os.close(fd)
    else:
        r, w = os.pipe()
        n = os.splice(i, w, 1 << 16)
        os.splice(r, o, n)
        os.close(r)
        os.close(w)
    os.close(i)
    os.close(o)
    with open(dst) as f:
        print(f.read(), end="")

copy("sendfile", "app.log", "sent.log")
copy("copy_file_range", "shared.txt", "copied.txt")
copy("splice", "state.json", "spliced.json")
copy("tee", "state.json", "teed.json")

# A file changed through a shared, writable mapping (as SQLite changes
# a WAL's -shm file): the trace shows the mmap, not the bytes written.
fd = os.open("mapped.bin", os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
os.write(fd, b"abcdef")
m = mmap.mmap(fd, 6, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
m[0:3] = b"XYZ"
m.flush()
print(os.pread(fd, 6, 0))
m.close()
os.close(fd)

# Read back part of a file at an offset, and through a dup'd stdin.
fd = os.open("app.log", os.O_RDONLY)
print(os.pread(fd, 6, 8))
os.dup2(fd, 0)
os.lseek(0, 0, os.SEEK_SET)
print(os.read(0, 5))

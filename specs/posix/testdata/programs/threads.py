# threads.py: what programs.sh runs as "threads": threads sharing an fd
# table appending to one file, a directory renamed with a file in it, a
# symlink to a directory written through, pwrite, truncate by name,
# os.replace over a file still open, scandir.
import os, threading, tempfile, json

os.makedirs("a/b", exist_ok=True)
with open("a/b/c.txt", "w") as f:
    f.write("first\n")
os.rename("a", "z")                 # a directory renamed with a file in it
print(open("z/b/c.txt").read(), end="")
os.symlink("z/b", "lnk")            # a symlink to a directory
with open("lnk/c.txt", "a") as f:   # written through it
    f.write("second\n")
print(open("z/b/c.txt").read(), end="")

fd = os.open("shared.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
def work(tag):
    for i in range(3):
        os.write(fd, f"{tag}{i}\n".encode())
ts = [threading.Thread(target=work, args=(t,)) for t in "xy"]
for t in ts: t.start()
for t in ts: t.join()
os.close(fd)
print(open("shared.log").read(), end="")

with open("data.bin", "wb") as f:
    f.write(b"0123456789")
fd = os.open("data.bin", os.O_RDWR)
os.pwrite(fd, b"AB", 3)
os.close(fd)
os.truncate("data.bin", 8)
print(open("data.bin").read())

old = open("state.json", "w+")
json.dump({"v": 1}, old); old.flush()
with tempfile.NamedTemporaryFile("w", dir=".", delete=False) as t:
    json.dump({"v": 2}, t)
os.replace(t.name, "state.json")   # replaced while the old one is open
old.seek(0)
print(old.read(), open("state.json").read())
for e in sorted(os.scandir("."), key=lambda e: e.name):
    if e.name.endswith(".json"):
        print(e.name)

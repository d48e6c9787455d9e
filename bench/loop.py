# bench/loop.py — a while loop summing 0..10^7-1, as bench/loop.ppl
# (at the top level of the script, as the ppl version is).
s = 0
i = 0
while i < 10000000:
    s = s + i
    i = i + 1
print(s)

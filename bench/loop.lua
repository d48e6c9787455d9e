-- bench/loop.lua — a while loop summing 0..10^7-1, as bench/loop.ppl.
local s = 0
local i = 0
while i < 10000000 do
  s = s + i
  i = i + 1
end
print(s)

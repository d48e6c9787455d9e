# extract.awk — turns the ```ppl blocks of a markdown page into golden
# test programs (tests/golden.c's format), so the documentation's examples
# are run and their printed values checked.
#
#   awk -v dir=OUT -v base=NAME -v chain=0|1|2 -f extract.awk PAGE.md
#
# Each block becomes OUT/NAME_NNN.ppl; with chain=1 the blocks of one "## "
# section run as one program (a tutorial's section builds up step by step),
# with chain=2 all the blocks of the page (later ones use the first's model).
# What a block is expected to print, in the documentation's conventions:
#   print(x)      # 6              a comment after a print: its output line
#   print(s)                       comment lines right after a print that
#   # line 1                       has none: its output lines
#   # line 2
#   ```text ... ```                a text block after a ppl block (prose
#                                  lines between end the connection): the
#                                  output of the code before it
# A program with no expectation only has to run without an error.
BEGIN { n = 0; inb = 0; intext = 0; sec = 0; out = ""; lastppl = 0 }
/^## / { sec++ }
/^```ppl[ \t]*$/ {
  inb = 1
  if (!(out != "" && (chain == 2 || chain == 1 && sec == lastsec))) {
    n++; out = sprintf("%s/%s_%03d.ppl", dir, base, n); printf "" > out
  }
  lastsec = sec; cont = 0
  next
}
/^```text[ \t]*$/ { if (lastppl && out != "") intext = 1; next }
/^```/ { if (inb) { inb = 0; lastppl = 1 } else if (intext) { intext = 0; lastppl = 0 } else lastppl = 0; next }
intext { print "# expect: " $0 >> out; next }
!inb && NF > 0 { lastppl = 0 }
inb {
  line = $0
  if (line ~ /print\(/ && match(line, /[ \t]+# /)) {
    code = substr(line, 1, RSTART - 1); cmt = substr(line, RSTART + RLENGTH)
    print code "  # expect: " cmt >> out; cont = 0; next
  }
  if (line ~ /^[ \t]*print\(/) { print line >> out; cont = 1; next }
  if (cont && line ~ /^# /) { print "# expect: " substr(line, 3) >> out; next }
  if (cont && line ~ /^#$/) { print "# expect:" >> out; next }
  cont = 0
  print line >> out
}

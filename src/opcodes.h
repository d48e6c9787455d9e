/*
 * opcodes.h — the VM's instruction set, one X-macro line per opcode.
 *
 * X(NAME, operand bytes, "stack effect and meaning"). Operands are u8 or
 * big-endian u16. The list drives the enum, the disassembler and the
 * dispatch table, so they cannot drift (Wren's wren_opcodes.h).
 */
#ifndef PPL_OPCODES_H
#define PPL_OPCODES_H

/* Operand layouts: A = none, B = u8, S = u16, BB = two u8, BS = u8 then
 * u16, BBB = three u8, BBS = two u8 then a u16 (a jump, or for SET_*_LK a
 * constant), BSS = u8, u16 constant, u16 jump.
 * The _LL/_LK forms are superinstructions for the hottest loop patterns
 * (`s = s + x`, `i = i + 1`, `while i < n`): they read locals and
 * constants directly instead of pushing them first. */
#define OPCODES(X)                                                            \
  X(CONST, S, "-> k: push constant k")                                       \
  X(NIL, A, "-> nil")                                                         \
  X(TRUE, A, "-> true")                                                       \
  X(FALSE, A, "-> false")                                                     \
  X(POP, A, "x ->")                                                           \
  X(DUP, A, "x -> x x")                                                       \
  X(SWAP, A, "x y -> y x")                                                    \
  X(ROT3, A, "x y z -> z x y")                                                \
  X(UNDEF, A, "-> undefined (a parameter slot left for its default)")         \
  X(GET_LOCAL, B, "-> locals[b]")                                             \
  X(SET_LOCAL, B, "x -> ; locals[b] = x")                                     \
  X(GET_GLOBAL, S, "-> globals[s] (error if undefined)")                     \
  X(SET_GLOBAL, S, "x -> ; globals[s] = x (must be defined)")                \
  X(DEFINE_GLOBAL, S, "x -> ; globals[s] = x")                               \
  X(GET_UPVALUE, B, "-> *upvalues[b]")                                        \
  X(SET_UPVALUE, B, "x -> ; *upvalues[b] = x")                                \
  X(GET_FIELD, S, "r -> r.name (name = constant s)")                         \
  X(SET_FIELD, S, "r x -> ; r.name = x")                                      \
  X(INDEX, B, "t i1..ib -> t[i1, .., ib]")                                    \
  X(SET_INDEX, B, "t i1..ib x -> ; t[i1, .., ib] = x")                        \
  X(SLICE, B, "[start] [stop] [step] -> slice; bits 1,2,4 of b: present")    \
  X(ADD, A, "a b -> a + b")                                                   \
  X(SUB, A, "a b -> a - b")                                                   \
  X(MUL, A, "a b -> a * b")                                                   \
  X(DIV, A, "a b -> a / b")                                                   \
  X(FLOORDIV, A, "a b -> a // b")                                             \
  X(MOD, A, "a b -> a % b")                                                   \
  X(POW, A, "a b -> a ** b")                                                  \
  X(MATMUL, A, "a b -> a @ b")                                                \
  X(EQ, A, "a b -> a == b")                                                   \
  X(NE, A, "a b -> a != b")                                                   \
  X(LT, A, "a b -> a < b")                                                    \
  X(LE, A, "a b -> a <= b")                                                   \
  X(GT, A, "a b -> a > b")                                                    \
  X(GE, A, "a b -> a >= b")                                                   \
  X(NEG, A, "a -> -a")                                                        \
  X(POS, A, "a -> +a (a must be numeric)")                                    \
  X(NOT, A, "a -> not a")                                                     \
  X(JUMP, S, "ip += s")                                                       \
  X(JUMP_IF_FALSE, S, "c -> ; if not c: ip += s")                            \
  X(AND, S, "c -> c if c is false (ip += s) else ->")                        \
  X(OR, S, "c -> c if c is true (ip += s) else ->")                          \
  X(LOOP, S, "ip -= s (checks for interruption)")                             \
  X(LT_JUMP_IF_FALSE, S, "a b -> ; if not a < b: ip += s")                   \
  X(ADD_LL, BB, "-> locals[a] + locals[b]")                                  \
  X(SUB_LL, BB, "-> locals[a] - locals[b]")                                  \
  X(MUL_LL, BB, "-> locals[a] * locals[b]")                                  \
  X(ADD_LK, BS, "-> locals[a] + constant k")                                 \
  X(SUB_LK, BS, "-> locals[a] - constant k")                                 \
  X(MUL_LK, BS, "-> locals[a] * constant k")                                 \
  X(SET_ADD_LL, BBB, "locals[d] = locals[a] + locals[b]")                    \
  X(SET_SUB_LL, BBB, "locals[d] = locals[a] - locals[b]")                    \
  X(SET_MUL_LL, BBB, "locals[d] = locals[a] * locals[b]")                    \
  X(SET_ADD_LK, BBS, "locals[d] = locals[a] + constant k")                   \
  X(SET_SUB_LK, BBS, "locals[d] = locals[a] - constant k")                   \
  X(SET_MUL_LK, BBS, "locals[d] = locals[a] * constant k")                   \
  X(LT_LL_JUMP, BBS, "if not locals[a] < locals[b]: ip += s")                \
  X(LT_LK_JUMP, BSS, "if not locals[a] < constant k: ip += s")               \
  X(CALL, B, "f a1..ab -> f(a1, .., ab)")                                     \
  X(CALL_KW, B, "f a.. kv.. -> f(..); b positional, then u8 keyword count " \
                "and u16 constant: list of keyword names")                   \
  X(CLOSURE, S, "-> closure of function constant s; then per upvalue: "      \
                "u8 is_local, u8 index")                                      \
  X(CLOSE_UPVALUE, A, "x -> ; closes the upvalue of the top slot")            \
  X(RETURN, A, "x -> ; returns x to the caller")                              \
  X(BUILD_LIST, S, "x1..xs -> [x1, .., xs] (a vector when all numbers)")     \
  X(BUILD_RECORD, S, "k1 v1 .. ks vs -> {k1: v1, ..}")                        \
  X(FOR_PREP, B, "locals[b] = iterable (checked); locals[b+1] = 0")          \
  X(FOR_NEXT, B, "if locals[b+1] < len: locals[b+2] = next item, else "      \
                 "ip += u16 operand that follows")                           \
  X(DEFAULT, B, "if locals[b] is not undefined: ip += u16 operand")          \
  X(IMPORT, S, "runs module named by constant s once")                       \
  X(TILDE, S, "dist obs -> v: random variable named by constant s; obs is " \
              "its data or undefined (free); v is its value in the model")  \
  X(TILDE_INDEXED, S, "dist y i -> : y[i] ~ dist, y data named s")           \
  X(DETERMINISTIC, S, "v -> v': names v (constant s) in the model's trace")

typedef enum {
#define X(name, layout, doc) OP_##name,
  OPCODES(X)
#undef X
      OP_COUNT
} OpCode;

#endif

/*
 * repl.h — the interactive session: read an entry, run it, print its value.
 */
#ifndef PPL_REPL_H
#define PPL_REPL_H

typedef struct VM VM;

/*
 * Reads entries from standard input and runs each in vm until :quit or end
 * of input; no error ends the session and every global survives it.
 *
 * On a terminal: GNU readline editing with the prompts "ppl> " and "...> "
 * (an entry continues while parse_incomplete says it is unfinished),
 * history in ~/.ppl_history, Tab completion of keywords, globals and
 * commands, the commands :help [NAME], :load FILE, :vars, :dis NAME and
 * :quit, and Ctrl-C abandoning the line being typed or interrupting a
 * running computation. Installs a SIGINT handler for its duration.
 *
 * Without a terminal (piped input): the same entries and commands, values
 * echoed, no prompts, no history, Ctrl-C left alone.
 *
 * Returns the exit code for main: 0, or for piped input 65 (compile error)
 * or 70 (runtime error) when an entry failed (the first failure decides).
 */
int repl_run(VM *vm);

#endif

/*
 * repl.c — the interactive session over GNU readline.
 *
 * Entries. Lines accumulate until parse_incomplete() says the text is
 * finished; the whole entry is then one Source "<repl:N>", one run of
 * vm_interpret with echo, and one history entry. A line starting with ':'
 * at the start of an entry is a command (:help, :load, :vars, :dis,
 * :quit).
 *
 * Reading. On a terminal we use readline's callback interface
 * (rl_callback_read_char under pselect) instead of readline(): Ctrl-C must
 * abandon the line being typed, and the only other way out of readline()
 * is a longjmp across its frames, which STYLE.md rules out. So SIGINT only
 * sets a flag; pselect returns EINTR and the loop clears readline's line
 * state itself. SIGINT and SIGWINCH stay blocked except inside pselect and
 * while code runs, so a signal between testing the flag and waiting cannot
 * be lost. Without a terminal, lines come from getline and nothing is
 * prompted, so `echo '1 + 2' | ppl` prints 3.
 *
 * Interrupts. While code runs, the SIGINT handler calls vm_interrupt and
 * the VM stops at its next safe point with an "interrupted" error. A C
 * call that never polls would make Ctrl-C useless, so the third Ctrl-C in
 * one computation ends the process.
 *
 * History. ~/.ppl_history is written with a timestamp line ("#1700000000")
 * before each entry and read with history_multiline_entries, so an entry
 * of several lines comes back as one (readline joins the lines between two
 * timestamps). The file is appended after every entry, so a session that
 * dies keeps its history, and trimmed at start-up.
 *
 * File-scope state: readline's callbacks and a signal handler take no
 * context argument, so the session they serve is reached through the
 * variables below, set only while repl_run runs.
 */
#include <config.h>
#include "repl.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <unistd.h>

#include <readline/history.h>
#include <readline/readline.h>
#include <readline/tilde.h>

#include "disasm.h"
#include "lex.h"
#include "mem.h"
#include "object.h"
#include "parse.h"
#include "report.h"
#include "strbuf.h"
#include "table.h"
#include "vm.h"

#define PROMPT "ppl> "
#define PROMPT_MORE "...> "
#define HISTORY_NAME ".ppl_history"

enum {
  HISTORY_MAX = 1000,     /* entries kept in memory and in the file */
  SHOW_WIDTH = 72,        /* :vars and :help cut values to one short line */
  FORCE_QUIT_SIGINTS = 3, /* Ctrl-Cs in one computation that end ppl */
  EXIT_COMPILE = 65,      /* sysexits.h EX_DATAERR, as main uses */
  EXIT_RUNTIME = 70,      /* sysexits.h EX_SOFTWARE */
};

/* Word-break characters for completion: ppl's operators and brackets (':'
 * included, so ":he" completes as the command "he..."). Paths after :load
 * break only at blanks and quotes. Non-const: readline's API wants char *. */
static char name_breaks[] = " \t\n\"'`@$><=;|&{}()[],+-*/%!~:^";
static char path_breaks[] = " \t\n\"'";

typedef struct Repl {
  VM *vm;
  bool interactive;
  bool quit;
  int nentries;       /* entries run so far, for "<repl:N>" */
  int status;         /* exit code for piped input */
  StrBuf pending;     /* the entry typed so far, lines ending in '\n' */
  bool continuing;    /* pending holds an unfinished entry */
  Table builtins;     /* globals at start-up, name -> value, for :vars */
  const char *history_path; /* NULL: history is not saved */
  sigset_t wait_mask; /* the signal mask inside pselect and while running */
  bool line_ready;    /* set by on_line */
  char *line;         /* malloc'd by readline; NULL at end of input */
} Repl;

/* Names offered by Tab: built when completion starts (GC arrays). */
typedef struct Candidates {
  const char **names;
  char *append; /* what follows a unique completion: ' ', '(' or '\0' */
  size_t n;
  size_t cap;
} Candidates;

static volatile sig_atomic_t sigint_pending;  /* a Ctrl-C not yet handled */
static volatile sig_atomic_t sigwinch_pending;
static volatile sig_atomic_t sigint_count;    /* Ctrl-Cs in this computation */
static VM *volatile running_vm;               /* set while code runs */
static Repl *session;                         /* for readline's callbacks */
static Candidates candidates;                 /* for next_candidate */

/* ---- signals ---------------------------------------------------------- */

static void on_sigint(int sig) {
  PPL_UNUSED(sig);
  sigint_pending = 1;
  VM *vm = running_vm;
  if (!vm)
    return;
  vm_interrupt(vm);
  /* The terminal echoed ^C; put the VM's "interrupted" on a line of its
   * own. */
  ssize_t w = write(STDERR_FILENO, "\n", 1);
  PPL_UNUSED(w);
  sigint_count = sigint_count + 1;
  if (sigint_count >= FORCE_QUIT_SIGINTS) {
    static const char msg[] =
        "\nppl: the computation does not stop; a third Ctrl-C ends ppl\n";
    w = write(STDERR_FILENO, msg, sizeof msg - 1);
    PPL_UNUSED(w);
    signal(SIGINT, SIG_DFL);
    raise(SIGINT);
  }
}

static void on_sigwinch(int sig) {
  PPL_UNUSED(sig);
  sigwinch_pending = 1;
}

/* Installs the handlers (no SA_RESTART: pselect must return EINTR) and
 * blocks both signals outside pselect and running code. */
static void signals_install(Repl *r, struct sigaction *old_int,
                            struct sigaction *old_winch, sigset_t *old_mask) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sigemptyset(&sa.sa_mask);
  sa.sa_handler = on_sigint;
  sigaction(SIGINT, &sa, old_int);
  sa.sa_handler = on_sigwinch;
  sigaction(SIGWINCH, &sa, old_winch);
  sigset_t block;
  sigemptyset(&block);
  sigaddset(&block, SIGINT);
  sigaddset(&block, SIGWINCH);
  sigprocmask(SIG_BLOCK, &block, old_mask);
  r->wait_mask = *old_mask;
  sigdelset(&r->wait_mask, SIGINT);
  sigdelset(&r->wait_mask, SIGWINCH);
}

static void signals_restore(const struct sigaction *old_int,
                            const struct sigaction *old_winch,
                            const sigset_t *old_mask) {
  sigaction(SIGINT, old_int, NULL);
  sigaction(SIGWINCH, old_winch, NULL);
  sigprocmask(SIG_SETMASK, old_mask, NULL);
}

/* ---- running code ----------------------------------------------------- */

/* Lets Ctrl-C reach the VM while code runs. */
static void run_begin(Repl *r) {
  vm_clear_interrupt(r->vm);
  if (!r->interactive)
    return;
  sigint_count = 0;
  running_vm = r->vm;
  sigprocmask(SIG_SETMASK, &r->wait_mask, NULL);
}

static void run_end(Repl *r, VMResult res) {
  if (r->interactive) {
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGWINCH);
    sigprocmask(SIG_BLOCK, &block, NULL);
    running_vm = NULL;
    sigint_pending = 0;
  }
  vm_clear_interrupt(r->vm);
  fflush(vm_out(r->vm));
  fflush(vm_err(r->vm));
  if (res != VM_OK && r->status == 0)
    r->status = res == VM_COMPILE_ERROR ? EXIT_COMPILE : EXIT_RUNTIME;
}

/* ---- history ---------------------------------------------------------- */

/* Reads ~/.ppl_history (creating it) and trims it to HISTORY_MAX entries.
 * Without HOME, or when the file cannot be created, history is kept for
 * this session only. */
static void history_open(Repl *r) {
  history_comment_char = '#';
  history_write_timestamps = 1;
  history_multiline_entries = 1;
  stifle_history(HISTORY_MAX);
  const char *home = getenv("HOME");
  if (!home || !*home)
    return;
  StrBuf path;
  strbuf_init(&path);
  strbuf_printf(&path, "%s/%s", home, HISTORY_NAME);
  int fd = open(path.data, O_WRONLY | O_CREAT | O_APPEND, 0600);
  if (fd < 0) {
    fprintf(vm_err(r->vm), "ppl: history will not be saved: %s: %s\n",
            path.data, strerror(errno));
    return;
  }
  close(fd);
  read_history(path.data);
  /* history_truncate_file counts lines other than timestamps, so a line
   * budget of twice HISTORY_MAX keeps at least HISTORY_MAX entries of up
   * to two lines; stifle_history caps what is loaded at HISTORY_MAX. The
   * oldest entry kept may lose its first lines. */
  history_truncate_file(path.data, 2 * HISTORY_MAX);
  r->history_path = path.data;
}

/* Adds a finished entry to the history and appends it to the file, unless
 * it repeats the previous entry. */
static void history_remember(Repl *r, const char *entry) {
  if (!r->interactive)
    return;
  HIST_ENTRY *last = history_length > 0
                         ? history_get(history_base + history_length - 1)
                         : NULL;
  if (last && strcmp(last->line, entry) == 0)
    return;
  add_history(entry);
  if (r->history_path)
    append_history(1, r->history_path);
}

/* ---- showing values --------------------------------------------------- */

/* The printed form of v cut to its first line and about SHOW_WIDTH bytes
 * (at a blank, so no number is cut in two). */
static const char *show_short(Value v) {
  StrBuf sb;
  strbuf_init(&sb);
  value_format(&sb, v, true);
  size_t n = strcspn(sb.data, "\n");
  if (n > SHOW_WIDTH) {
    n = SHOW_WIDTH;
    while (n > SHOW_WIDTH / 2 && sb.data[n] != ' ')
      n--;
  }
  if (n < sb.len) {
    sb.data[n] = '\0';
    sb.len = n;
    strbuf_puts(&sb, " ...");
  }
  return sb.data;
}

/* ---- commands --------------------------------------------------------- */

typedef struct Command {
  const char *name;
  const char *usage; /* NULL: an alias left out of :help */
  const char *help;
  void (*run)(Repl *r, const char *arg);
} Command;

static void cmd_help(Repl *r, const char *arg);
static void cmd_load(Repl *r, const char *arg);
static void cmd_vars(Repl *r, const char *arg);
static void cmd_dis(Repl *r, const char *arg);
static void cmd_quit(Repl *r, const char *arg);

static const Command commands[] = {
    {"help", ":help [NAME]", "this overview, or what the builtin NAME does",
     cmd_help},
    {"load", ":load FILE", "run a .ppl file here; its globals stay defined",
     cmd_load},
    {"vars", ":vars", "the globals defined in this session", cmd_vars},
    {"dis", ":dis NAME", "the bytecode of the function NAME", cmd_dis},
    {"quit", ":quit, :q", "leave (Ctrl-D on an empty line too)", cmd_quit},
    {"q", NULL, NULL, cmd_quit},
    {NULL, NULL, NULL, NULL},
};

/* One line per keyword for :help KEYWORD. */
static const struct {
  const char *keyword;
  const char *help;
} keyword_help[] = {
    {"let", "let x = 1: binds a new variable (x = 2 then assigns to it)"},
    {"fn", "fn name(a, b=1) { a + b }: defines a function; fn(x) { x * 2 } "
           "is an anonymous one; the last expression is the value"},
    {"return", "return value: leaves the enclosing function with a value"},
    {"if", "if cond { ... } else { ... }: runs one branch"},
    {"else", "if cond { ... } else { ... }: runs one branch"},
    {"while", "while cond { ... }: repeats while cond is true"},
    {"for", "for x in range(10) { ... }: runs the body for each item of a "
            "range, vector or list"},
    {"in", "for x in items { ... }: see 'for'"},
    {"break", "break: leaves the innermost loop"},
    {"continue", "continue: starts the next round of the innermost loop"},
    {"model", "model name(data) { mu ~ Normal(0, 1) ... }: declares a "
              "probabilistic model; calling it binds the data"},
    {"import", "import name: runs a library module once and binds its "
               "globals"},
    {NULL, NULL},
};

static void print_overview(FILE *out) {
  fputs("Type an expression to see its value, or any statement (let, fn, "
        "model, ...).\n"
        "An entry continues over several lines while a bracket, brace or "
        "string is open.\n\nCommands:\n",
        out);
  for (const Command *c = commands; c->name; c++) {
    if (c->usage)
      fprintf(out, "  %-14s %s\n", c->usage, c->help);
  }
  fputs("\nKeys: Tab completes names, Up and Down walk the history (kept in "
        "~/" HISTORY_NAME "),\nCtrl-C abandons the line or interrupts a "
        "running computation.\n",
        out);
}

/* "name(a, b=...): a function defined at <repl:3>:1" */
static void describe_closure(FILE *out, const char *name, ObjClosure *c) {
  ObjFunction *f = c->function;
  fprintf(out, "%s(", name);
  for (int i = 0; i < f->arity; i++)
    fprintf(out, "%s%s%s", i ? ", " : "", f->params[i]->chars,
            i >= f->nrequired ? "=..." : "");
  fprintf(out, "): a function defined at %s:%d\n",
          f->source ? f->source->name : "?", f->line);
}

/* Appends a copy of name to c. */
static void candidates_push(Candidates *c, const char *name, char append) {
  if (c->n == c->cap) {
    c->cap = c->cap ? 2 * c->cap : 64;
    c->names = mem_realloc(c->names, c->cap * sizeof(const char *));
    c->append = mem_realloc(c->append, c->cap);
  }
  c->names[c->n] = mem_strdup(name);
  c->append[c->n++] = append;
}

/* vm_each_global callback collecting every name (for suggestions). */
static void collect_name(const char *name, Value v, void *ctx) {
  PPL_UNUSED(v);
  candidates_push(ctx, name, '\0');
}

static void help_unknown(Repl *r, const char *name) {
  Candidates all = {0};
  vm_each_global(r->vm, collect_name, &all);
  for (const char *const *kw = lex_keywords(); *kw; kw++)
    candidates_push(&all, *kw, '\0');
  const char *near = report_suggest(name, all.names, all.n);
  fprintf(vm_err(r->vm), "no builtin, global or keyword named '%s'", name);
  if (near)
    fprintf(vm_err(r->vm), " (did you mean '%s'?)", near);
  fputc('\n', vm_err(r->vm));
}

static bool help_keyword(FILE *out, const char *name) {
  bool is_keyword = false;
  for (const char *const *kw = lex_keywords(); *kw; kw++)
    is_keyword = is_keyword || strcmp(*kw, name) == 0;
  if (!is_keyword)
    return false;
  for (int i = 0; keyword_help[i].keyword; i++) {
    if (strcmp(keyword_help[i].keyword, name) == 0) {
      fprintf(out, "%s\n", keyword_help[i].help);
      return true;
    }
  }
  fprintf(out, "'%s' is a keyword of the language\n", name);
  return true;
}

static void help_name(Repl *r, const char *name) {
  FILE *out = vm_out(r->vm);
  Value v;
  if (vm_get_global(r->vm, name, &v) && !IS_UNDEF(v)) {
    if (IS_NATIVE(v) && AS_NATIVE(v)->help)
      fprintf(out, "%s\n", AS_NATIVE(v)->help);
    else if (IS_NATIVE(v))
      fprintf(out, "%s: a builtin function\n", name);
    else if (IS_CLOSURE(v))
      describe_closure(out, name, AS_CLOSURE(v));
    else
      fprintf(out, "%s: a %s, %s\n", name, value_type_name(v), show_short(v));
    return;
  }
  if (!help_keyword(out, name))
    help_unknown(r, name);
}

static void cmd_help(Repl *r, const char *arg) {
  if (*arg)
    help_name(r, arg);
  else
    print_overview(vm_out(r->vm));
}

static void cmd_load(Repl *r, const char *arg) {
  size_t n = strlen(arg);
  if (n >= 2 && (arg[0] == '"' || arg[0] == '\'') && arg[n - 1] == arg[0]) {
    char *unquoted = mem_strdup(arg + 1);
    unquoted[n - 2] = '\0';
    arg = unquoted;
  }
  if (!*arg) {
    fputs("usage: :load FILE\n", vm_err(r->vm));
    return;
  }
  char *path = tilde_expand(arg);
  run_begin(r);
  VMResult res = vm_run_file(r->vm, path);
  run_end(r, res);
  free(path);
}

/* True when v is the very value the global had at start-up. */
static bool same_value(Value a, Value b) {
  if (a.type != b.type)
    return false;
  switch (a.type) {
  case VAL_NUM:
    return AS_NUM(a) == AS_NUM(b) || (AS_NUM(a) != AS_NUM(a) &&
                                      AS_NUM(b) != AS_NUM(b));
  case VAL_BOOL:
    return AS_BOOL(a) == AS_BOOL(b);
  case VAL_OBJ:
    return AS_OBJ(a) == AS_OBJ(b);
  case VAL_NIL:
  case VAL_UNDEF:
    return true;
  }
  return false;
}

typedef struct VarsCtx {
  Repl *r;
  int shown;
} VarsCtx;

static void show_var(const char *name, Value v, void *ctx) {
  VarsCtx *vc = ctx;
  Value before;
  if (IS_UNDEF(v) ||
      (table_get_cstr(&vc->r->builtins, name, strlen(name), &before) &&
       same_value(before, v)))
    return;
  fprintf(vm_out(vc->r->vm), "%s = %s\n", name, show_short(v));
  vc->shown++;
}

static void cmd_vars(Repl *r, const char *arg) {
  PPL_UNUSED(arg);
  VarsCtx vc = {r, 0};
  vm_each_global(r->vm, show_var, &vc);
  if (vc.shown == 0)
    fputs("(no globals defined yet)\n", vm_out(r->vm));
}

static void cmd_dis(Repl *r, const char *arg) {
  Value v;
  if (!*arg) {
    fputs("usage: :dis NAME (a function defined in ppl)\n", vm_err(r->vm));
    return;
  }
  if (!vm_get_global(r->vm, arg, &v) || IS_UNDEF(v)) {
    help_unknown(r, arg);
    return;
  }
  if (!IS_CLOSURE(v)) {
    fprintf(vm_err(r->vm), "'%s' is a %s, not a function written in ppl\n",
            arg, IS_NATIVE(v) ? "builtin written in C" : value_type_name(v));
    return;
  }
  disasm_function(vm_out(r->vm), AS_CLOSURE(v)->function);
}

static void cmd_quit(Repl *r, const char *arg) {
  PPL_UNUSED(arg);
  r->quit = true;
}

/* Runs a command line ":name arg", remembering it in the history unless
 * it is :quit (which Up would otherwise offer first next time). */
static void run_command(Repl *r, const char *line) {
  const char *text = line + 1;
  size_t n = strcspn(text, " \t");
  const char *arg = text + n;
  arg += strspn(arg, " \t");
  char *args = mem_strdup(arg);
  size_t alen = strlen(args);
  while (alen > 0 && (args[alen - 1] == ' ' || args[alen - 1] == '\t'))
    args[--alen] = '\0';
  const char *names[sizeof commands / sizeof commands[0]];
  size_t k = 0;
  for (const Command *c = commands; c->name; c++) {
    if (strlen(c->name) == n && strncmp(c->name, text, n) == 0) {
      if (c->run != cmd_quit)
        history_remember(r, line);
      c->run(r, args);
      return;
    }
    names[k++] = c->name;
  }
  char *name = mem_strdup(text);
  name[n] = '\0';
  const char *near = report_suggest(name, names, k);
  history_remember(r, line);
  fprintf(vm_err(r->vm), "unknown command ':%s'", name);
  if (near)
    fprintf(vm_err(r->vm), " (did you mean ':%s'?)", near);
  fputs("; :help lists the commands\n", vm_err(r->vm));
}

/* ---- entries ---------------------------------------------------------- */

/* Runs the pending entry as one unit. */
static void run_entry(Repl *r) {
  StrBuf text = r->pending;
  strbuf_init(&r->pending);
  r->continuing = false;
  char *entry = mem_strdup(text.data);
  size_t n = strlen(entry);
  while (n > 0 && entry[n - 1] == '\n')
    entry[--n] = '\0';
  history_remember(r, entry);
  char name[32];
  snprintf(name, sizeof name, "<repl:%d>", ++r->nentries);
  Source *src = source_new(mem_strdup(name), text.data, text.len);
  run_begin(r);
  VMResult res = vm_interpret(r->vm, src, true, NULL);
  run_end(r, res);
}

/* Takes one line of input (without its newline). */
static void feed_line(Repl *r, const char *line) {
  if (!r->continuing) {
    const char *p = line + strspn(line, " \t");
    if (*p == '\0')
      return;
    if (*p == ':') {
      run_command(r, p);
      fflush(vm_out(r->vm));
      return;
    }
  }
  strbuf_puts(&r->pending, line);
  strbuf_putc(&r->pending, '\n');
  if (parse_incomplete(r->pending.data))
    r->continuing = true;
  else
    run_entry(r);
}

/* ---- completion ------------------------------------------------------- */

static void add_candidate(const char *name, char append) {
  candidates_push(&candidates, name, append);
}

static void add_global(const char *name, Value v, void *ctx) {
  PPL_UNUSED(ctx);
  if (!IS_UNDEF(v))
    add_candidate(name, IS_NATIVE(v) || IS_CLOSURE(v) ? '(' : '\0');
}

/* readline's generator: the candidates starting with text, one per call,
 * each a malloc'd copy that readline frees. */
static char *next_candidate(const char *text, int state) {
  static size_t i;
  if (state == 0)
    i = 0;
  size_t len = strlen(text);
  while (i < candidates.n) {
    const char *name = candidates.names[i++];
    if (strncmp(name, text, len) == 0)
      return strdup(name);
  }
  return NULL;
}

/* The character to follow a unique completion of text. */
static char append_for(const char *text) {
  size_t len = strlen(text);
  char append = ' ';
  int matches = 0;
  for (size_t i = 0; i < candidates.n; i++) {
    if (strncmp(candidates.names[i], text, len) == 0) {
      append = candidates.append[i];
      matches++;
    }
  }
  return matches == 1 ? append : ' ';
}

static bool is_load_line(const char *line) {
  line += strspn(line, " \t");
  return strncmp(line, ":load", 5) == 0 && (line[5] == ' ' || line[5] == '\t');
}

static char *word_breaks(void) {
  return is_load_line(rl_line_buffer) ? path_breaks : name_breaks;
}

/* Commands after a leading ':', file names after ":load ", otherwise
 * keywords and globals. */
static char **complete(const char *text, int start, int end) {
  PPL_UNUSED(end);
  const char *line = rl_line_buffer;
  size_t lead = strspn(line, " \t");
  if (is_load_line(line))
    return NULL; /* readline falls back to file names */
  rl_attempted_completion_over = 1;
  candidates.n = 0;
  if (line[lead] == ':' && (size_t)start == lead + 1) {
    for (const Command *c = commands; c->name; c++)
      add_candidate(c->name, ' ');
  } else {
    for (const char *const *kw = lex_keywords(); *kw; kw++)
      add_candidate(*kw, ' ');
    vm_each_global(session->vm, add_global, NULL);
  }
  char **matches = rl_completion_matches(text, next_candidate);
  char append = append_for(text);
  rl_completion_suppress_append = append == '\0';
  rl_completion_append_character = append ? append : ' ';
  return matches;
}

/* ---- reading ---------------------------------------------------------- */

static void on_line(char *line) {
  session->line = line;
  session->line_ready = true;
  rl_callback_handler_remove();
}

/* Ctrl-C at a prompt: drop the line and any unfinished entry. */
static void abandon_line(Repl *r) {
  sigint_pending = 0;
  rl_echo_signal_char(SIGINT);
  rl_free_line_state();
  rl_callback_sigcleanup();
  rl_replace_line("", 0);
  rl_callback_handler_remove();
  fputc('\n', rl_outstream);
  fflush(rl_outstream);
  strbuf_init(&r->pending);
  r->continuing = false;
  using_history();
}

/* Reads one line at prompt. Returns false when Ctrl-C abandoned it;
 * otherwise *line is readline's malloc'd line, or NULL at end of input. */
static bool read_line(Repl *r, const char *prompt, char **line) {
  r->line_ready = false;
  r->line = NULL;
  sigint_pending = 0;
  if (sigwinch_pending) {
    sigwinch_pending = 0;
    rl_reset_screen_size();
  }
  fflush(stdout);
  rl_callback_handler_install(prompt, on_line);
  int fd = fileno(rl_instream);
  while (!r->line_ready) {
    fd_set fds;
    FD_ZERO(&fds);
    FD_SET(fd, &fds);
    int n = pselect(fd + 1, &fds, NULL, NULL, NULL, &r->wait_mask);
    if (sigint_pending) {
      abandon_line(r);
      return false;
    }
    if (sigwinch_pending) {
      sigwinch_pending = 0;
      rl_resize_terminal();
    }
    if (n < 0 && errno != EINTR) {
      rl_callback_handler_remove();
      break;
    }
    if (n > 0)
      rl_callback_read_char();
  }
  *line = r->line;
  return true;
}

static void loop_terminal(Repl *r) {
  while (!r->quit) {
    char *line;
    if (!read_line(r, r->continuing ? PROMPT_MORE : PROMPT, &line))
      continue;
    if (!line) {
      fputc('\n', stdout);
      break;
    }
    feed_line(r, line);
    free(line);
  }
}

static void loop_stream(Repl *r, FILE *in) {
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  while (!r->quit && (n = getline(&line, &cap, in)) >= 0) {
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
      line[--n] = '\0';
    feed_line(r, line);
  }
  free(line);
  if (r->continuing && !r->quit)
    run_entry(r); /* the unfinished tail reports its own syntax error */
}

/* ---- the session ------------------------------------------------------ */

static void snapshot_global(const char *name, Value v, void *ctx) {
  table_set(ctx, string_from_cstr(name), v);
}

static void readline_setup(void) {
  rl_readline_name = "ppl";
  rl_instream = stdin;
  rl_outstream = stdout;
  rl_catch_signals = 0;
  rl_catch_sigwinch = 0;
  rl_change_environment = 0;
  rl_attempted_completion_function = complete;
  rl_completion_word_break_hook = word_breaks;
  rl_basic_word_break_characters = name_breaks;
}

int repl_run(VM *vm) {
  Repl r;
  memset(&r, 0, sizeof r);
  r.vm = vm;
  r.interactive = isatty(STDIN_FILENO);
  strbuf_init(&r.pending);
  table_init(&r.builtins);
  vm_each_global(vm, snapshot_global, &r.builtins);
  session = &r;
  if (!r.interactive) {
    loop_stream(&r, stdin);
    session = NULL;
    return r.status;
  }
  struct sigaction old_int, old_winch;
  sigset_t old_mask;
  readline_setup();
  history_open(&r);
  printf("ppl %s: :help for help, :quit or Ctrl-D to leave\n",
         PACKAGE_VERSION);
  signals_install(&r, &old_int, &old_winch, &old_mask);
  loop_terminal(&r);
  signals_restore(&old_int, &old_winch, &old_mask);
  session = NULL;
  return 0;
}

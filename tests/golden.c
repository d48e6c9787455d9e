/*
 * golden.c — runs ppl programs and checks them against the expectations
 * written in their own comments (the clox and Wren test runners' idea).
 *
 *   usage: golden PPL FILE.ppl [FILE.ppl...]
 *
 * automake's parallel harness runs it once per golden file (PPL_LOG_COMPILER
 * in Makefile.am). Exit status: 0 pass, 1 fail, 77 skip, 99 hard error (the
 * file cannot be read, a directive is malformed, ppl cannot be started),
 * which are automake's PASS, FAIL, SKIP and ERROR. With several files the
 * status is the worst one and the last line is "N passed, N failed".
 *
 * Directives are comments, on the line that produces the effect:
 *
 *   print(x * 2)          # expect: 6
 *   let y = f(             # expect error: expected an expression
 *   print(v[5])           # expect runtime error: index 5 is out of range
 *   # expect error line 7: expected '}'     (an error reported elsewhere)
 *   # expect exit: 3      # args: a b c     # stdin: one line of input
 *   # skip: needs a GPU
 *
 * - The "expect:" texts, in file order, are the whole of stdout: one line
 *   each, nothing more. The single space after the colon is not part of
 *   the text; trailing blanks are ignored on both sides.
 * - "expect error: TEXT" (compile error): stderr holds a diagnostic
 *   "PATH:L:C: error: MSG" with TEXT inside MSG, where L is the comment's
 *   line (or N with "expect error line N:"); the exit status is 65.
 *   "expect runtime error" is the same with status 70. The quoted source
 *   excerpt under a diagnostic repeats the comment, so excerpt lines
 *   ("   12 | ...") never count as a match.
 * - "expect exit: N" overrides the status implied by the above.
 * - "args:" words (split at blanks, no quoting) follow FILE on ppl's
 *   command line; "stdin:" texts, one line each, are its standard input
 *   (else /dev/null).
 * - A file with no "expect" directive at all only has to exit with 0
 *   (the examples are run this way).
 *
 * A directive starts at a '#' outside string literals ('...' or "...",
 * with backslash escapes, possibly spanning lines), as ppl's lexer sees
 * it. Only when a line has none there, and does not start inside a
 * string, is it looked for after any '#', so that the line opening an
 * unterminated string can carry its expectation.
 * ppl runs in its own process group with the current directory unchanged,
 * PPL_TEST_DIR set to the test file's directory and NO_COLOR=1. stdout and
 * stderr are read together with poll() so neither pipe can fill up and
 * block it. After PPL_TEST_TIMEOUT seconds (default 120; 0 means none) the
 * whole group is killed and the test fails.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* automake's test-driver statuses. */
enum {
  GOLDEN_PASS = 0,
  GOLDEN_FAIL = 1,
  GOLDEN_SKIP = 77,
  GOLDEN_ERROR = 99,
};

/* ppl's exit statuses (sysexits.h), implied by the error directives. */
enum { PPL_EXIT_COMPILE = 65, PPL_EXIT_RUNTIME = 70 };

/* Seconds a program may run when PPL_TEST_TIMEOUT is unset: generous, as
 * the sanitizer build runs MCMC tests several times slower. */
#define DEFAULT_TIMEOUT_S 120.0
/* More output than this per stream is a runaway program; the rest is read
 * and dropped so the child is not blocked. */
enum { MAX_CAPTURE = 16 * 1024 * 1024 };
/* How much of a failure to show: diff lines, unchanged context lines
 * around a change, stderr lines (the last ones), bytes of one line. */
enum {
  MAX_DIFF_LINES = 200,
  DIFF_CONTEXT = 3,
  MAX_STDERR_LINES = 40,
  MAX_SHOWN_LINE = 300,
};
/* The LCS table is used only below this many cells (4 bytes each); larger
 * differences are shown line against line. */
enum { MAX_LCS_CELLS = 1 << 22 };
/* Poll interval while waiting for a child that closed its pipes. */
enum { REAP_POLL_NS = 10 * 1000 * 1000 };

typedef enum { EXP_OUT, EXP_COMPILE, EXP_RUNTIME } ExpectKind;

typedef struct {
  ExpectKind kind;
  int line; /* line of the comment in the test file */
  int at;   /* line the error must be reported at */
  char *text;
} Expect;

/* A growable byte buffer: data is NULL until the first append, then always
 * NUL-terminated. */
typedef struct {
  char *data;
  size_t len, cap;
  bool truncated;
} Buf;

/* What the test file asks for. */
typedef struct {
  const char *path;
  Expect *items;
  size_t nitems, capitems;
  char **args;
  size_t nargs, capargs;
  Buf input;      /* stdin text */
  bool has_input; /* any "stdin:" directive */
  char *skip;     /* reason, or NULL */
  int exit_code;
  bool exit_given;
  bool has_expect; /* any "expect..." directive */
} Spec;

/* What the program did. */
typedef struct {
  Buf out, err;
  int status;      /* exit status, or -1 when killed by a signal */
  int term_signal; /* the signal that ended it, when status is -1 */
  bool timed_out;
} Run;

/* A line of text split out of a buffer (not owned). */
typedef struct {
  const char *s;
  size_t len;
  int src_line; /* test-file line of an expectation, 0 for output */
} Line;

typedef struct {
  Line *v;
  size_t n, cap;
} Lines;

/* The running child's process group, for the signal handler only: a
 * handler cannot be handed context, so this one file-level variable is the
 * exception to "no globals". */
static volatile sig_atomic_t child_group;

/* ---- small utilities ---- */

static void *xrealloc(void *p, size_t n) {
  void *q = realloc(p, n ? n : 1);
  if (!q) {
    fprintf(stderr, "golden: out of memory\n");
    exit(GOLDEN_ERROR);
  }
  return q;
}

static char *xstrndup(const char *s, size_t n) {
  char *d = xrealloc(NULL, n + 1);
  memcpy(d, s, n);
  d[n] = '\0';
  return d;
}

/* Grows *v (of *cap items of size sz) to hold at least n items. */
static void *grow(void *v, size_t *cap, size_t n, size_t sz) {
  if (n <= *cap)
    return v;
  size_t c = *cap ? *cap * 2 : 16;
  while (c < n)
    c *= 2;
  *cap = c;
  return xrealloc(v, c * sz);
}

static void buf_append(Buf *b, const char *s, size_t n) {
  if (b->len + n > MAX_CAPTURE) {
    b->truncated = true;
    n = b->len < MAX_CAPTURE ? MAX_CAPTURE - b->len : 0;
  }
  b->data = grow(b->data, &b->cap, b->len + n + 1, 1);
  memcpy(b->data + b->len, s, n);
  b->len += n;
  b->data[b->len] = '\0';
}

static void lines_push(Lines *ls, const char *s, size_t len, int src_line) {
  ls->v = grow(ls->v, &ls->cap, ls->n + 1, sizeof *ls->v);
  ls->v[ls->n++] = (Line){s, len, src_line};
}

/* Splits b into lines; a last line without '\n' still counts. */
static Lines lines_split(const Buf *b) {
  Lines ls = {0};
  const char *p = b->data ? b->data : "";
  const char *end = p + b->len;
  while (p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *stop = nl ? nl : end;
    lines_push(&ls, p, (size_t)(stop - p), 0);
    p = nl ? nl + 1 : end;
  }
  return ls;
}

/* Length of s[0..len) without trailing blanks and carriage returns. */
static size_t trimmed_len(const char *s, size_t len) {
  while (len > 0 &&
         (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r'))
    len--;
  return len;
}

static bool line_eq(const Line *a, const Line *b) {
  size_t na = trimmed_len(a->s, a->len), nb = trimmed_len(b->s, b->len);
  return na == nb && memcmp(a->s, b->s, na) == 0;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Reads the whole file; NULL (errno set) when it cannot. */
static char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  Buf b = {0};
  char chunk[8192];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
    buf_append(&b, chunk, n);
  bool bad = ferror(f);
  fclose(f);
  if (bad || b.truncated) {
    free(b.data);
    errno = bad ? EIO : EFBIG;
    return NULL;
  }
  buf_append(&b, "", 0);
  *len = b.len;
  return b.data;
}

/* ---- parsing the directives ---- */

/* Returns the text after the line's comment '#', or NULL when the line has
 * no comment. *quote is the quote of a string still open at the start of
 * the line (0 for none) and is updated for the next line. */
static const char *comment_of(const char *line, char *quote) {
  for (const char *p = line; *p; p++) {
    if (*quote) {
      if (*p == '\\' && p[1])
        p++;
      else if (*p == *quote)
        *quote = 0;
    } else if (*p == '"' || *p == '\'') {
      *quote = *p;
    } else if (*p == '#') {
      return p + 1;
    }
  }
  return NULL;
}

static const char *skip_blanks(const char *s) {
  while (*s == ' ' || *s == '\t')
    s++;
  return s;
}

/* When s starts with word, returns what follows it, else NULL. */
static const char *after(const char *s, const char *word) {
  size_t n = strlen(word);
  return strncmp(s, word, n) == 0 ? s + n : NULL;
}

/* The value of a directive: after the colon, minus one space. */
static char *value_of(const char *s) {
  if (*s == ' ')
    s++;
  size_t n = trimmed_len(s, strlen(s));
  return xstrndup(s, n);
}

/* Reports a directive that cannot be used; line 0 means the whole file. */
static int bad_directive(const Spec *sp, int line, const char *why) {
  if (line > 0)
    printf("%s:%d: malformed directive: %s\n", sp->path, line, why);
  else
    printf("%s: conflicting directives: %s\n", sp->path, why);
  return GOLDEN_ERROR;
}

static void add_expect(Spec *sp, ExpectKind kind, int line, int at,
                       const char *text) {
  sp->items = grow(sp->items, &sp->capitems, sp->nitems + 1, sizeof *sp->items);
  sp->items[sp->nitems++] = (Expect){kind, line, at, value_of(text)};
  sp->has_expect = true;
}

/* rest follows "expect error" or "expect runtime error": either ":" or
 * " line N:". */
static int error_directive(Spec *sp, ExpectKind kind, int line,
                           const char *rest) {
  int at = line;
  const char *r = after(rest, " line ");
  if (r) {
    char *end;
    long n = strtol(r, &end, 10);
    if (end == r || n < 1 || n > INT_MAX)
      return bad_directive(sp, line, "'line' must be followed by a number");
    at = (int)n;
    rest = end;
  }
  if (*rest != ':')
    return bad_directive(sp, line, "expected ':' after the error directive");
  add_expect(sp, kind, line, at, rest + 1);
  return GOLDEN_PASS;
}

static int exit_directive(Spec *sp, int line, const char *rest) {
  char *end;
  long n = strtol(rest, &end, 10);
  if (end == rest || *skip_blanks(end) != '\0' || n < 0 || n > 255)
    return bad_directive(sp, line, "'expect exit:' needs a status 0..255");
  sp->exit_code = (int)n;
  sp->exit_given = true;
  sp->has_expect = true;
  return GOLDEN_PASS;
}

static void args_directive(Spec *sp, const char *rest) {
  for (;;) {
    rest = skip_blanks(rest);
    size_t n = strcspn(rest, " \t");
    if (n == 0)
      return;
    sp->args = grow(sp->args, &sp->capargs, sp->nargs + 1, sizeof *sp->args);
    sp->args[sp->nargs++] = xstrndup(rest, n);
    rest += n;
  }
}

/* Something that looks meant as a directive ("expect" and a colon soon
 * after, only words in between) but matched none: a typo to report rather
 * than a check silently dropped. */
static bool looks_like_directive(const char *c) {
  if (!after(c, "expect"))
    return false;
  for (const char *p = c; *p && p - c < 40; p++) {
    if (*p == ':')
      return true;
    if (!(*p == ' ' || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')))
      return false;
  }
  return false;
}

/* Interprets one directive, c being the text after its '#', on line
 * `line`. Sets *found when c is a directive. */
static int directive(Spec *sp, int line, const char *c, bool *found) {
  const char *r;
  c = skip_blanks(c);
  *found = true;
  if ((r = after(c, "expect:"))) {
    add_expect(sp, EXP_OUT, line, line, r);
  } else if ((r = after(c, "expect error"))) {
    return error_directive(sp, EXP_COMPILE, line, r);
  } else if ((r = after(c, "expect runtime error"))) {
    return error_directive(sp, EXP_RUNTIME, line, r);
  } else if ((r = after(c, "expect exit:"))) {
    return exit_directive(sp, line, r);
  } else if ((r = after(c, "args:"))) {
    args_directive(sp, r);
  } else if ((r = after(c, "stdin:"))) {
    char *text = value_of(r);
    buf_append(&sp->input, text, strlen(text));
    buf_append(&sp->input, "\n", 1);
    sp->has_input = true;
    free(text);
  } else if ((r = after(c, "skip:"))) {
    free(sp->skip);
    sp->skip = value_of(r);
  } else if (looks_like_directive(c)) {
    return bad_directive(sp, line,
                         "unknown directive (expect:, expect "
                         "error:, expect runtime error:, expect "
                         "exit:, args:, stdin:, skip:)");
  } else {
    *found = false;
  }
  return GOLDEN_PASS;
}

/* Interprets the comment text c (after a '#'): the directive may follow
 * other words, as in "x = 1  # a remark  # expect: 1"; the first '#' that
 * starts a directive takes the rest of the line. Sets *found. */
static int comment(Spec *sp, int line, const char *c, bool *found) {
  for (;;) {
    int status = directive(sp, line, c, found);
    if (*found || status != GOLDEN_PASS)
      return status;
    c = strchr(c, '#');
    if (!c)
      return GOLDEN_PASS;
    c++;
  }
}

/* Interprets one line of the test file. A directive is looked for first
 * in the line's comment as the lexer sees it, then, when there is none and
 * the line did not start inside a string, after any '#': a test of an
 * unterminated string has its directive inside the string. *quote carries
 * an open string to the next line. */
static int test_line(Spec *sp, int line, const char *text, char *quote) {
  bool found = false, in_string = *quote != 0;
  const char *c = comment_of(text, quote);
  int status = c ? comment(sp, line, c, &found) : GOLDEN_PASS;
  if (found || status != GOLDEN_PASS || in_string)
    return status;
  c = strchr(text, '#');
  return c ? comment(sp, line, c + 1, &found) : GOLDEN_PASS;
}

/* Checks that the directives can all hold in one run. */
static int spec_check(const Spec *sp) {
  size_t ncompile = 0, nruntime = 0;
  for (size_t i = 0; i < sp->nitems; i++) {
    ncompile += sp->items[i].kind == EXP_COMPILE;
    nruntime += sp->items[i].kind == EXP_RUNTIME;
  }
  if (nruntime > 1)
    return bad_directive(sp, 0,
                         "more than one 'expect runtime error' (a "
                         "run stops at the first)");
  if (nruntime && ncompile)
    return bad_directive(sp, 0,
                         "both compile and runtime errors expected "
                         "(a compile error means nothing runs)");
  return GOLDEN_PASS;
}

/* Reads the test file and its directives into *sp. */
static int spec_read(Spec *sp, const char *path) {
  memset(sp, 0, sizeof *sp);
  sp->path = path;
  size_t len;
  char *text = read_file(path, &len);
  if (!text) {
    printf("%s: cannot read the test: %s\n", path, strerror(errno));
    return GOLDEN_ERROR;
  }
  char quote = 0;
  int line = 1, status = GOLDEN_PASS;
  for (char *p = text; status == GOLDEN_PASS && p < text + len; line++) {
    char *nl = strchr(p, '\n');
    if (nl)
      *nl = '\0';
    status = test_line(sp, line, p, &quote);
    p = nl ? nl + 1 : text + len;
  }
  free(text);
  return status == GOLDEN_PASS ? spec_check(sp) : status;
}

static int expected_status(const Spec *sp) {
  if (sp->exit_given)
    return sp->exit_code;
  for (size_t i = 0; i < sp->nitems; i++) {
    if (sp->items[i].kind == EXP_COMPILE)
      return PPL_EXIT_COMPILE;
    if (sp->items[i].kind == EXP_RUNTIME)
      return PPL_EXIT_RUNTIME;
  }
  return 0;
}

/* ---- running the program ---- */

static void on_signal(int sig) {
  if (child_group > 0)
    kill(-(pid_t)child_group, SIGKILL);
  signal(sig, SIG_DFL);
  raise(sig);
}

static void install_handlers(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGHUP, &sa, NULL);
}

/* The absolute directory of path (for PPL_TEST_DIR); caller frees. */
static char *dir_of(const char *path) {
  const char *slash = strrchr(path, '/');
  char *dir = slash ? xstrndup(path, slash == path ? 1 : (size_t)(slash - path))
                    : xstrndup(".", 1);
  char *abs = realpath(dir, NULL);
  if (!abs)
    return dir;
  free(dir);
  return abs;
}

/* A file descriptor for the child's stdin: the "stdin:" text in an
 * unlinked temporary file, or /dev/null. -1 on failure. */
static int input_fd(const Spec *sp) {
  if (!sp->has_input)
    return open("/dev/null", O_RDONLY | O_CLOEXEC);
  FILE *f = tmpfile();
  if (!f)
    return -1;
  if (fwrite(sp->input.data, 1, sp->input.len, f) != sp->input.len ||
      fflush(f) != 0) {
    fclose(f);
    return -1;
  }
  int fd = fcntl(fileno(f), F_DUPFD_CLOEXEC, 0);
  fclose(f);
  if (fd >= 0)
    lseek(fd, 0, SEEK_SET);
  return fd;
}

/* pipe() with both ends closed on exec (pipe2 is not POSIX). */
static bool pipe_cloexec(int fds[2]) {
  if (pipe(fds) < 0)
    return false;
  fcntl(fds[0], F_SETFD, FD_CLOEXEC);
  fcntl(fds[1], F_SETFD, FD_CLOEXEC);
  return true;
}

/* In the child: wires up the descriptors and runs ppl; never returns. */
static void child_exec(const char *ppl, const Spec *sp, int in, int out,
                       int err) {
  setpgid(0, 0);
  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
  signal(SIGHUP, SIG_DFL);
  if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
    _exit(127);
  for (int fd = 0; fd <= 2; fd++) /* dup2(fd, fd) keeps FD_CLOEXEC */
    fcntl(fd, F_SETFD, 0);
  char *dir = dir_of(sp->path);
  setenv("PPL_TEST_DIR", dir, 1);
  setenv("NO_COLOR", "1", 1);
  char **argv = xrealloc(NULL, (sp->nargs + 3) * sizeof *argv);
  argv[0] = (char *)ppl;
  argv[1] = (char *)sp->path;
  for (size_t i = 0; i < sp->nargs; i++)
    argv[i + 2] = sp->args[i];
  argv[sp->nargs + 2] = NULL;
  execv(ppl, argv);
  fprintf(stderr, "golden: cannot run '%s': %s\n", ppl, strerror(errno));
  _exit(127);
}

/* Reads what is ready on fd into b; returns false at end of file. */
static bool drain(int fd, Buf *b) {
  char chunk[65536];
  ssize_t n = read(fd, chunk, sizeof chunk);
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return true;
  if (n <= 0)
    return false;
  buf_append(b, chunk, (size_t)n);
  return true;
}

/* Milliseconds until deadline for poll(); -1 (forever) when there is none. */
static int ms_left(double deadline) {
  if (deadline <= 0)
    return -1;
  double left = deadline - now_s();
  if (left <= 0)
    return 0;
  return left > INT_MAX / 1000.0 ? INT_MAX : (int)(left * 1000.0) + 1;
}

static bool past(double deadline) {
  return deadline > 0 && now_s() >= deadline;
}

/* Collects stdout and stderr until both close or the deadline passes.
 * Returns false on timeout. */
static bool collect(int out, int err, Run *r, double deadline) {
  struct pollfd fds[2] = {{.fd = out, .events = POLLIN},
                          {.fd = err, .events = POLLIN}};
  Buf *bufs[2] = {&r->out, &r->err};
  int open_fds = 2;
  while (open_fds > 0) {
    if (past(deadline))
      return false;
    int n = poll(fds, 2, ms_left(deadline));
    if (n < 0 && errno != EINTR)
      return false;
    for (int i = 0; n > 0 && i < 2; i++) {
      if (fds[i].fd < 0 || !fds[i].revents)
        continue;
      if (!drain(fds[i].fd, bufs[i])) {
        fds[i].fd = -1;
        open_fds--;
      }
    }
  }
  return true;
}

/* Waits for pid until the deadline; false on timeout. */
static bool reap(pid_t pid, int *wstatus, double deadline) {
  const struct timespec pause = {0, REAP_POLL_NS};
  for (;;) {
    pid_t w = waitpid(pid, wstatus, deadline > 0 ? WNOHANG : 0);
    if (w == pid)
      return true;
    if (w < 0 && errno != EINTR)
      return true; /* nothing left to wait for */
    if (past(deadline))
      return false;
    if (w == 0)
      nanosleep(&pause, NULL);
  }
}

static void record_status(Run *r, int wstatus) {
  if (WIFEXITED(wstatus)) {
    r->status = WEXITSTATUS(wstatus);
  } else if (WIFSIGNALED(wstatus)) {
    r->status = -1;
    r->term_signal = WTERMSIG(wstatus);
  }
}

/* Runs ppl on the test; fills *r. GOLDEN_ERROR when it cannot start. */
static int run_program(const char *ppl, const Spec *sp, double timeout,
                       Run *r) {
  memset(r, 0, sizeof *r);
  int in = input_fd(sp), po[2], pe[2];
  if (in < 0 || !pipe_cloexec(po) || !pipe_cloexec(pe)) {
    printf("%s: cannot set up the run: %s\n", sp->path, strerror(errno));
    return GOLDEN_ERROR;
  }
  double deadline = timeout > 0 ? now_s() + timeout : 0;
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) {
    printf("%s: cannot fork: %s\n", sp->path, strerror(errno));
    return GOLDEN_ERROR;
  }
  if (pid == 0)
    child_exec(ppl, sp, in, po[1], pe[1]);
  setpgid(pid, pid); /* also here: no race with the child's own call */
  child_group = pid;
  close(in);
  close(po[1]);
  close(pe[1]);
  int wstatus = 0;
  bool done =
      collect(po[0], pe[0], r, deadline) && reap(pid, &wstatus, deadline);
  if (!done) {
    kill(-pid, SIGKILL);
    waitpid(pid, &wstatus, 0);
    r->timed_out = true;
  }
  child_group = 0;
  close(po[0]);
  close(pe[0]);
  record_status(r, wstatus);
  return GOLDEN_PASS;
}

/* ---- checking ---- */

/* Prints a line of output, cut to MAX_SHOWN_LINE bytes. */
static void print_text(const Line *l) {
  if (l->len <= MAX_SHOWN_LINE) {
    printf("%.*s", (int)l->len, l->s);
    return;
  }
  printf("%.*s... (%zu more bytes)", MAX_SHOWN_LINE, l->s,
         l->len - MAX_SHOWN_LINE);
}

/* Diff operations, as in a unified diff. */
typedef enum { OP_SAME = ' ', OP_DEL = '-', OP_ADD = '+' } DiffOp;

typedef struct {
  DiffOp op;
  const Line *line;
  size_t num; /* 1-based index in its sequence */
} DiffItem;

typedef struct {
  DiffItem *v;
  size_t n, cap;
} Diff;

static void diff_push(Diff *d, DiffOp op, const Line *line, size_t num) {
  d->v = grow(d->v, &d->cap, d->n + 1, sizeof *d->v);
  d->v[d->n++] = (DiffItem){op, line, num};
}

/* The longest-common-subsequence table of e[lo..lo+n) and a[lo..lo+m):
 * t[i*(m+1)+j] is the LCS length of the suffixes from i and j. */
static uint32_t *lcs_table(const Lines *e, const Lines *a, size_t lo, size_t n,
                           size_t m) {
  uint32_t *t = xrealloc(NULL, (n + 1) * (m + 1) * sizeof *t);
  for (size_t i = n + 1; i-- > 0;) {
    for (size_t j = m + 1; j-- > 0;) {
      uint32_t *c = &t[i * (m + 1) + j];
      if (i == n || j == m)
        *c = 0;
      else if (line_eq(&e->v[lo + i], &a->v[lo + j]))
        *c = t[(i + 1) * (m + 1) + j + 1] + 1;
      else {
        uint32_t down = t[(i + 1) * (m + 1) + j];
        uint32_t right = t[i * (m + 1) + j + 1];
        *c = down > right ? down : right;
      }
    }
  }
  return t;
}

/* Diffs the middle part e[lo..lo+n) against a[lo..lo+m), by LCS when the
 * table is small enough, else line against line. */
static void diff_middle(Diff *d, const Lines *e, const Lines *a, size_t lo,
                        size_t n, size_t m) {
  if ((n + 1) * (m + 1) > MAX_LCS_CELLS) {
    for (size_t i = 0; i < n; i++)
      diff_push(d, OP_DEL, &e->v[lo + i], lo + i + 1);
    for (size_t j = 0; j < m; j++)
      diff_push(d, OP_ADD, &a->v[lo + j], lo + j + 1);
    return;
  }
  uint32_t *t = lcs_table(e, a, lo, n, m);
  size_t i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && line_eq(&e->v[lo + i], &a->v[lo + j])) {
      diff_push(d, OP_SAME, &a->v[lo + j], lo + j + 1);
      i++, j++;
    } else if (j == m ||
               (i < n && t[(i + 1) * (m + 1) + j] >= t[i * (m + 1) + j + 1])) {
      diff_push(d, OP_DEL, &e->v[lo + i], lo + i + 1);
      i++;
    } else {
      diff_push(d, OP_ADD, &a->v[lo + j], lo + j + 1);
      j++;
    }
  }
  free(t);
}

/* Diffs expected against actual lines: the common prefix and suffix as
 * they are, the middle by diff_middle. */
static Diff diff_lines(const Lines *e, const Lines *a) {
  Diff d = {0};
  size_t pre = 0;
  while (pre < e->n && pre < a->n && line_eq(&e->v[pre], &a->v[pre])) {
    diff_push(&d, OP_SAME, &a->v[pre], pre + 1);
    pre++;
  }
  size_t suf = 0;
  while (suf < e->n - pre && suf < a->n - pre &&
         line_eq(&e->v[e->n - 1 - suf], &a->v[a->n - 1 - suf]))
    suf++;
  diff_middle(&d, e, a, pre, e->n - pre - suf, a->n - pre - suf);
  for (size_t k = suf; k-- > 0;)
    diff_push(&d, OP_SAME, &a->v[a->n - 1 - k], a->n - k);
  return d;
}

/* True when item k of d lies within DIFF_CONTEXT of a change. */
static bool near_change(const Diff *d, size_t k) {
  size_t lo = k > DIFF_CONTEXT ? k - DIFF_CONTEXT : 0;
  for (size_t i = lo; i < d->n && i <= k + DIFF_CONTEXT; i++)
    if (d->v[i].op != OP_SAME)
      return true;
  return false;
}

static void print_diff_item(const DiffItem *it) {
  const Line *l = it->line;
  printf("  %c %4zu | ", (char)it->op, it->num);
  print_text(l);
  if (it->op == OP_DEL)
    printf("   (line %d)", l->src_line);
  putchar('\n');
}

/* Prints the stdout difference, unified-diff style with context. */
static void print_diff(const Lines *e, const Lines *a) {
  Diff d = diff_lines(e, a);
  printf("stdout differs from the 'expect:' lines (- expected, + actual; "
         "the number is the output line):\n");
  size_t shown = 0;
  bool gap = false;
  for (size_t k = 0; k < d.n && shown < MAX_DIFF_LINES; k++) {
    if (!near_change(&d, k)) {
      gap = true;
      continue;
    }
    if (gap)
      printf("  ...\n");
    gap = false;
    print_diff_item(&d.v[k]);
    shown++;
  }
  if (shown == MAX_DIFF_LINES)
    printf("  ... (more differences not shown)\n");
  free(d.v);
}

static Lines expected_lines(const Spec *sp) {
  Lines ls = {0};
  for (size_t i = 0; i < sp->nitems; i++) {
    const Expect *x = &sp->items[i];
    if (x->kind == EXP_OUT)
      lines_push(&ls, x->text, strlen(x->text), x->line);
  }
  return ls;
}

/* Checks stdout against the "expect:" lines; prints the diff on failure. */
static bool check_stdout(const Spec *sp, const Run *r) {
  Lines e = expected_lines(sp), a = lines_split(&r->out);
  bool same = e.n == a.n;
  for (size_t i = 0; same && i < e.n; i++)
    same = line_eq(&e.v[i], &a.v[i]);
  if (!same)
    print_diff(&e, &a);
  if (r->out.truncated) {
    printf("stdout is longer than %d bytes (the rest was dropped)\n",
           MAX_CAPTURE);
    same = false;
  }
  free(e.v);
  free(a.v);
  return same;
}

/* True for the quoted source under a diagnostic: "   12 | ..." or
 * "      |   ^". */
static bool is_excerpt(const Line *l) {
  size_t i = 0;
  while (i < l->len && l->s[i] == ' ')
    i++;
  while (i < l->len && l->s[i] >= '0' && l->s[i] <= '9')
    i++;
  while (i < l->len && l->s[i] == ' ')
    i++;
  return i < l->len && l->s[i] == '|';
}

/* The line number in a diagnostic "PATH:L:C: error: MSG" (the first ":N:"
 * before " error: "), or 0 for any other line. *msg is set to MSG. */
static int diagnostic_line(const Line *l, const char **msg, size_t *msglen) {
  static const char tag[] = " error: ";
  char *copy = xstrndup(l->s, l->len);
  char *e = strstr(copy, tag);
  int found = 0;
  if (e && !is_excerpt(l)) {
    *msg = l->s + (e - copy) + strlen(tag);
    *msglen = l->len - (size_t)(*msg - l->s);
    for (char *p = copy; p < e; p++) {
      char *end;
      if (*p != ':' || p[1] < '0' || p[1] > '9')
        continue;
      long n = strtol(p + 1, &end, 10);
      if (*end == ':' && end <= e && n > 0 && n <= INT_MAX && !found)
        found = (int)n;
    }
  }
  free(copy);
  return found;
}

static bool contains(const char *hay, size_t n, const char *needle) {
  size_t k = strlen(needle);
  for (size_t i = 0; i + k <= n; i++)
    if (memcmp(hay + i, needle, k) == 0)
      return true;
  return false;
}

/* Checks one error expectation against the diagnostics on stderr. */
static bool check_error(const Expect *x, const Lines *err) {
  int wrong_line = 0;
  for (size_t i = 0; i < err->n; i++) {
    const char *msg = NULL;
    size_t msglen = 0;
    int at = diagnostic_line(&err->v[i], &msg, &msglen);
    if (at == 0 || !contains(msg, msglen, x->text))
      continue;
    if (at == x->at)
      return true;
    wrong_line = at;
  }
  const char *what = x->kind == EXP_COMPILE ? "error" : "runtime error";
  if (wrong_line)
    printf("line %d: expected %s at line %d, but it was reported at line %d: "
           "%s\n",
           x->line, what, x->at, wrong_line, x->text);
  else
    printf("line %d: expected %s at line %d not found on stderr: %s\n", x->line,
           what, x->at, x->text);
  return false;
}

static bool check_errors(const Spec *sp, const Run *r) {
  Lines err = lines_split(&r->err);
  bool ok = true;
  for (size_t i = 0; i < sp->nitems; i++)
    if (sp->items[i].kind != EXP_OUT)
      ok = check_error(&sp->items[i], &err) && ok;
  free(err.v);
  return ok;
}

static bool check_status(const Spec *sp, const Run *r) {
  if (r->timed_out)
    return false; /* reported by report_run */
  int want = expected_status(sp);
  if (r->status == want)
    return true;
  if (r->status < 0)
    printf("ppl was killed by signal %d (%s); expected exit status %d\n",
           r->term_signal, strsignal(r->term_signal), want);
  else
    printf("exit status %d, expected %d\n", r->status, want);
  return false;
}

/* Prints the tail of a captured stream under a heading. */
static void print_tail(const char *name, const Buf *b) {
  Lines ls = lines_split(b);
  if (ls.n == 0) {
    printf("%s: (empty)\n", name);
    free(ls.v);
    return;
  }
  size_t from = ls.n > MAX_STDERR_LINES ? ls.n - MAX_STDERR_LINES : 0;
  printf("%s%s:\n", name, from ? " (last lines)" : "");
  for (size_t i = from; i < ls.n; i++) {
    printf("  | ");
    print_text(&ls.v[i]);
    putchar('\n');
  }
  free(ls.v);
}

/* Checks everything, prints what failed; returns GOLDEN_PASS or _FAIL. */
static int judge(const Spec *sp, const Run *r, double timeout) {
  if (r->timed_out)
    printf("timed out after %g s (PPL_TEST_TIMEOUT sets the limit): ppl, "
           "or a process it started that kept its output open, was killed\n",
           timeout);
  bool ok = !r->timed_out;
  ok = check_status(sp, r) && ok;
  if (sp->has_expect) {
    ok = check_stdout(sp, r) && ok;
    ok = check_errors(sp, r) && ok;
  }
  if (ok)
    return GOLDEN_PASS;
  if (!sp->has_expect)
    print_tail("stdout", &r->out);
  print_tail("stderr", &r->err);
  return GOLDEN_FAIL;
}

/* ---- driver ---- */

static void spec_free(Spec *sp) {
  for (size_t i = 0; i < sp->nitems; i++)
    free(sp->items[i].text);
  for (size_t i = 0; i < sp->nargs; i++)
    free(sp->args[i]);
  free(sp->items);
  free(sp->args);
  free(sp->input.data);
  free(sp->skip);
}

/* Runs and checks one test file; returns its golden status. */
static int run_test(const char *ppl, const char *path, double timeout) {
  Spec sp;
  int status = spec_read(&sp, path);
  if (status == GOLDEN_PASS && sp.skip) {
    printf("SKIP: %s: %s\n", path, sp.skip);
    status = GOLDEN_SKIP;
  }
  Run r = {0};
  if (status == GOLDEN_PASS)
    status = run_program(ppl, &sp, timeout, &r);
  if (status == GOLDEN_PASS)
    status = judge(&sp, &r, timeout);
  if (status == GOLDEN_PASS)
    printf("PASS: %s\n", path);
  else if (status == GOLDEN_FAIL)
    printf("FAIL: %s\n", path);
  else if (status == GOLDEN_ERROR)
    printf("ERROR: %s\n", path);
  free(r.out.data);
  free(r.err.data);
  spec_free(&sp);
  return status;
}

/* PPL_TEST_TIMEOUT in seconds; 0 disables the limit; -1 when invalid. */
static double timeout_setting(void) {
  const char *s = getenv("PPL_TEST_TIMEOUT");
  if (!s || !*s)
    return DEFAULT_TIMEOUT_S;
  char *end;
  double t = strtod(s, &end);
  if (*end != '\0' || !(t >= 0))
    return -1;
  return t;
}

/* Worse of two statuses: error > fail > pass > skip. */
static int worse(int a, int b) {
  static const int order[] = {GOLDEN_SKIP, GOLDEN_PASS, GOLDEN_FAIL,
                              GOLDEN_ERROR};
  int ra = 0, rb = 0;
  for (int i = 0; i < 4; i++) {
    if (order[i] == a)
      ra = i;
    if (order[i] == b)
      rb = i;
  }
  return ra >= rb ? a : b;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: golden PPL FILE.ppl [FILE.ppl...]\n"
                    "Runs each ppl program and checks it against its "
                    "'# expect' comments.\n");
    return GOLDEN_ERROR;
  }
  double timeout = timeout_setting();
  if (timeout < 0) {
    fprintf(stderr,
            "golden: PPL_TEST_TIMEOUT must be a number of seconds, "
            "got '%s'\n",
            getenv("PPL_TEST_TIMEOUT"));
    return GOLDEN_ERROR;
  }
  if (access(argv[1], X_OK) != 0) {
    fprintf(stderr, "golden: cannot run '%s': %s (build ppl first)\n", argv[1],
            strerror(errno));
    return GOLDEN_ERROR;
  }
  install_handlers();
  int status = GOLDEN_SKIP, npass = 0, nfail = 0;
  for (int i = 2; i < argc; i++) {
    int s = run_test(argv[1], argv[i], timeout);
    npass += s == GOLDEN_PASS;
    nfail += s == GOLDEN_FAIL || s == GOLDEN_ERROR;
    status = worse(status, s);
  }
  if (argc > 3)
    printf("%d passed, %d failed\n", npass, nfail);
  return status;
}

/*
 * main.c — the command line: run a file, a -e string, list bytecode, or
 * start the REPL. Exit codes follow sysexits: 0 ok, 64 usage, 65 compile
 * error, 70 runtime error, 74 I/O error.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blas.h"
#include "compile.h"
#include "disasm.h"
#include "mem.h"
#include "parse.h"
#include "report.h"
#include "repl.h"
#include "vm.h"

enum {
  EXIT_USAGE = 64,
  EXIT_COMPILE = 65,
  EXIT_RUNTIME = 70,
  EXIT_IO = 74,
};

static void usage(FILE *out) {
  fputs("usage: ppl [options] [FILE [args...]]\n"
        "\n"
        "  ppl FILE [args]   run a program; args are in the list `args`\n"
        "  ppl -e CODE       run CODE\n"
        "  ppl               start the interactive prompt (REPL)\n"
        "  ppl --dis FILE    print FILE's bytecode instead of running it\n"
        "  ppl --version     print the version\n"
        "  ppl --help        print this help\n"
        "\n"
        "Modules are searched next to the importing file, in $PPL_PATH and "
        "in the standard library.\n",
        out);
}

static int exit_code(VMResult r) {
  switch (r) {
  case VM_OK: return 0;
  case VM_COMPILE_ERROR: return EXIT_COMPILE;
  case VM_RUNTIME_ERROR: return EXIT_RUNTIME;
  }
  return EXIT_RUNTIME;
}

static int disassemble(VM *vm, const char *path) {
  Source *src = source_read_file(path);
  if (!src) {
    fprintf(stderr, "ppl: cannot read '%s': %s\n", path, strerror(errno));
    return EXIT_IO;
  }
  int nerrors = 0;
  Ast *program = parse_program(src, stderr, &nerrors);
  if (!program)
    return EXIT_COMPILE;
  ObjFunction *fn = compile_program(vm, program, src, COMPILE_SCRIPT, stderr);
  if (!fn)
    return EXIT_COMPILE;
  disasm_function(stdout, fn);
  return 0;
}

static int run_file(VM *vm, const char *path) {
  Source *src = source_read_file(path);
  if (!src) {
    fprintf(stderr, "ppl: cannot read '%s': %s\n", path, strerror(errno));
    return EXIT_IO;
  }
  return exit_code(vm_run_script(vm, src));
}

int main(int argc, char **argv) {
  mem_init();
  int i = 1;
  if (i < argc && strcmp(argv[i], "--version") == 0) {
    printf("ppl %s (CBLAS: %s)\n", PACKAGE_VERSION, blas()->name);
    return 0;
  }
  if (i < argc && (strcmp(argv[i], "--help") == 0 ||
                   strcmp(argv[i], "-h") == 0)) {
    usage(stdout);
    return 0;
  }
  VM *vm = vm_new(stderr);
  int status;
  if (i < argc && strcmp(argv[i], "-e") == 0) {
    if (i + 1 >= argc) {
      fprintf(stderr, "ppl: -e needs an argument\n");
      usage(stderr);
      return EXIT_USAGE;
    }
    const char *code = argv[i + 1];
    vm_set_args(vm, argc - i - 2, argv + i + 2);
    Source *src = source_new("<-e>", code, strlen(code));
    status = exit_code(vm_run_script(vm, src));
  } else if (i < argc && strcmp(argv[i], "--dis") == 0) {
    if (i + 1 >= argc) {
      fprintf(stderr, "ppl: --dis needs a file\n");
      return EXIT_USAGE;
    }
    status = disassemble(vm, argv[i + 1]);
  } else if (i < argc && argv[i][0] == '-' && argv[i][1] != '\0') {
    fprintf(stderr, "ppl: unknown option '%s'\n", argv[i]);
    usage(stderr);
    status = EXIT_USAGE;
  } else if (i < argc) {
    vm_set_args(vm, argc - i - 1, argv + i + 1);
    status = run_file(vm, argv[i]);
  } else {
    status = repl_run(vm);
  }
  fflush(stdout);
  vm_free(vm);
  return status;
}

/* Test fixture: loads a PAM module the way libpam does, dlopen(RTLD_NOW),
 * and looks up the three service functions. Run with an empty environment
 * (env -i), so nothing from a Swift toolchain is on the library path: if
 * the module needed a Swift runtime library, dlopen would fail here.
 *
 * usage: dlopen_check MODULE.so    prints "loaded" and exits 0, or the
 *                                  dlerror() text and exits 1 */
#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char **argv) {
  if (argc != 2) return 2;
  void *module = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (!module) {
    printf("%s\n", dlerror());
    return 1;
  }
  const char *names[] = {"pam_sm_authenticate", "pam_sm_acct_mgmt", "pam_sm_setcred"};
  for (int i = 0; i < 3; i++) {
    if (!dlsym(module, names[i])) {
      printf("missing %s\n", names[i]);
      return 1;
    }
  }
  printf("loaded\n");
  return 0;
}

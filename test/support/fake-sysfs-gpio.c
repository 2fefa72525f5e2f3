// A fake of the kernel's sysfs GPIO class (/sys/class/gpio) as a FUSE
// filesystem, so that onoff, which hard-codes that path, runs unmodified in a
// test: mounted at /sys/class/gpio inside a private mount namespace.
//
//   fake-sysfs-gpio MOUNTPOINT CONTROL_SOCKET BASE:NGPIO:LABEL:DEVNAME...
//
// It follows drivers/gpio/gpiolib-sysfs.c: `export`/`unexport` make and remove
// gpioN directories (EBUSY when the line is already exported or held by
// another consumer, EINVAL for a number no chip has); `direction` takes
// in/out/low/high, `edge` none/rising/falling/both (in logical terms, so
// active_low flips it), `active_low` and `value` any integer; `value` reads
// "0\n"/"1\n" after active_low and may only be written on an output (EPERM).
// Like kernfs, `value` reports POLLPRI|POLLERR once per edge until it is read
// again, and wakes pollers (fuse_notify_poll, as sysfs_notify would).
//
// The test is the outside world, over a line protocol on CONTROL_SOCKET:
//   set N 0|1     the physical level an input sees (default 1: a released
//                 button with the pull-up config.txt gives it)
//   get N         "exported=E direction=in|out active_low=A edge=... value=V level=L"
//   claim N / free N   another consumer holds the line (export -> EBUSY)
//   deny 1|0      export/unexport refuse to open (EACCES), as before udev
//                 gives the gpio group access
//   pause N / resume N   poll on N's value waits until resumed: a test can
//                 then make a read land between an edge and epoll's check
// Each command is answered with one line: the result, "ok" or "error ...".
#define FUSE_USE_VERSION 35
#include <fuse.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_CHIPS 8
#define EDGE_RISING 1
#define EDGE_FALLING 2

struct opened;

struct line {
  int exported, claimed, out, drive, ext, active_low, edge, poll_paused;
  unsigned event;
  struct opened *opens;
};

struct chip {
  int base, ngpio;
  char label[64], dev[32];
  struct line *lines;
};

enum attr { A_NONE, A_EXPORT, A_UNEXPORT, A_BASE, A_LABEL, A_NGPIO, A_DIRECTION, A_EDGE, A_ACTIVE_LOW, A_VALUE };

// One open file; value files are linked into their line's list for poll.
struct opened {
  enum attr attr;
  int gpio;
  struct chip *chip;
  unsigned seen;
  struct fuse_pollhandle *ph;
  struct opened *next;
};

static struct chip chips[MAX_CHIPS];
static int nchips;
static int deny_export;
static const char *control_path;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t resumed = PTHREAD_COND_INITIALIZER;

static struct line *line_of(int gpio, struct chip **c_out) {
  for (int i = 0; i < nchips; i++) {
    struct chip *c = &chips[i];
    if (gpio >= c->base && gpio < c->base + c->ngpio) {
      if (c_out) *c_out = c;
      return &c->lines[gpio - c->base];
    }
  }
  return NULL;
}

static struct chip *chip_by_dir(const char *name, size_t len) {
  for (int i = 0; i < nchips; i++) {
    char dir[48];
    snprintf(dir, sizeof dir, "gpiochip%d", chips[i].base);
    if (strlen(dir) == len && strncmp(dir, name, len) == 0) return &chips[i];
  }
  return NULL;
}

static int physical(const struct line *l) { return l->out ? l->drive : l->ext; }

static enum attr attr_named(const char *name, int gpio_dir) {
  if (gpio_dir) {
    if (!strcmp(name, "direction")) return A_DIRECTION;
    if (!strcmp(name, "edge")) return A_EDGE;
    if (!strcmp(name, "active_low")) return A_ACTIVE_LOW;
    if (!strcmp(name, "value")) return A_VALUE;
    return A_NONE;
  }
  if (!strcmp(name, "base")) return A_BASE;
  if (!strcmp(name, "label")) return A_LABEL;
  if (!strcmp(name, "ngpio")) return A_NGPIO;
  return A_NONE;
}

// What a path names. Kinds: 0 none, 1 root, 2 chip dir, 3 chip's device dir,
// 4 device's gpiochipN dir, 5 gpioN dir, 6 a file (attr set).
struct target {
  int kind;
  enum attr attr;
  int gpio;
  struct chip *chip;
};

static struct target resolve(const char *path) {
  struct target t = {0, A_NONE, -1, NULL};
  if (!strcmp(path, "/")) return (t.kind = 1, t);
  if (!strcmp(path, "/export")) return (t.kind = 6, t.attr = A_EXPORT, t);
  if (!strcmp(path, "/unexport")) return (t.kind = 6, t.attr = A_UNEXPORT, t);
  const char *p = path + 1;
  const char *slash = strchr(p, '/');
  size_t len = slash ? (size_t)(slash - p) : strlen(p);
  const char *rest = slash ? slash + 1 : NULL;
  if (len > 8 && !strncmp(p, "gpiochip", 8)) {
    struct chip *c = chip_by_dir(p, len);
    if (!c) return t;
    t.chip = c;
    if (!rest) return (t.kind = 2, t);
    if (!strcmp(rest, "device")) return (t.kind = 3, t);
    if (!strncmp(rest, "device/", 7) && !strcmp(rest + 7, c->dev)) return (t.kind = 4, t);
    t.attr = attr_named(rest, 0);
    if (t.attr != A_NONE) t.kind = 6;
    return t;
  }
  if (len > 4 && !strncmp(p, "gpio", 4)) {
    char *end;
    long n = strtol(p + 4, &end, 10);
    if (end != p + len) return t;
    struct line *l = line_of((int)n, &t.chip);
    if (!l || !l->exported) return t;
    t.gpio = (int)n;
    if (!rest) return (t.kind = 5, t);
    t.attr = attr_named(rest, 1);
    if (t.attr != A_NONE) t.kind = 6;
    return t;
  }
  return t;
}

static void *fs_init(struct fuse_conn_info *conn, struct fuse_config *cfg);

static int fs_getattr(const char *path, struct stat *st, struct fuse_file_info *fi) {
  (void)fi;
  pthread_mutex_lock(&lock);
  struct target t = resolve(path);
  pthread_mutex_unlock(&lock);
  memset(st, 0, sizeof *st);
  if (t.kind == 0) return -ENOENT;
  if (t.kind < 6) {
    st->st_mode = S_IFDIR | 0755;
    st->st_nlink = 2;
    return 0;
  }
  st->st_mode = S_IFREG | (t.attr == A_EXPORT || t.attr == A_UNEXPORT ? 0200 : t.kind == 6 && t.gpio >= 0 ? 0644 : 0444);
  st->st_nlink = 1;
  st->st_size = 4096;
  return 0;
}

static int fs_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t off, struct fuse_file_info *fi, enum fuse_readdir_flags flags) {
  (void)off; (void)fi; (void)flags;
  pthread_mutex_lock(&lock);
  struct target t = resolve(path);
  int rc = 0;
  fill(buf, ".", NULL, 0, 0);
  fill(buf, "..", NULL, 0, 0);
  char name[48];
  switch (t.kind) {
    case 1:
      fill(buf, "export", NULL, 0, 0);
      fill(buf, "unexport", NULL, 0, 0);
      for (int i = 0; i < nchips; i++) {
        snprintf(name, sizeof name, "gpiochip%d", chips[i].base);
        fill(buf, name, NULL, 0, 0);
        for (int j = 0; j < chips[i].ngpio; j++) {
          if (!chips[i].lines[j].exported) continue;
          snprintf(name, sizeof name, "gpio%d", chips[i].base + j);
          fill(buf, name, NULL, 0, 0);
        }
      }
      break;
    case 2:
      fill(buf, "base", NULL, 0, 0);
      fill(buf, "label", NULL, 0, 0);
      fill(buf, "ngpio", NULL, 0, 0);
      fill(buf, "device", NULL, 0, 0);
      break;
    case 3:
      fill(buf, t.chip->dev, NULL, 0, 0);
      break;
    case 4:
      break;
    case 5:
      fill(buf, "active_low", NULL, 0, 0);
      fill(buf, "direction", NULL, 0, 0);
      fill(buf, "edge", NULL, 0, 0);
      fill(buf, "value", NULL, 0, 0);
      break;
    default:
      rc = t.kind == 0 ? -ENOENT : -ENOTDIR;
  }
  pthread_mutex_unlock(&lock);
  return rc;
}

static int fs_open(const char *path, struct fuse_file_info *fi) {
  pthread_mutex_lock(&lock);
  struct target t = resolve(path);
  int rc = 0;
  if (t.kind == 0) rc = -ENOENT;
  else if (t.kind != 6) rc = -EISDIR;
  else if ((t.attr == A_EXPORT || t.attr == A_UNEXPORT) && deny_export) rc = -EACCES;
  if (rc == 0) {
    struct opened *o = calloc(1, sizeof *o);
    o->attr = t.attr;
    o->gpio = t.gpio;
    o->chip = t.chip;
    if (t.attr == A_VALUE) {
      struct line *l = line_of(t.gpio, NULL);
      o->seen = l->event;
      o->next = l->opens;
      l->opens = o;
    }
    fi->fh = (uint64_t)(uintptr_t)o;
    // Every read and write reaches this process, as every one reaches the driver.
    fi->direct_io = 1;
    fi->nonseekable = 0;
  }
  pthread_mutex_unlock(&lock);
  return rc;
}

static int fs_release(const char *path, struct fuse_file_info *fi) {
  (void)path;
  struct opened *o = (struct opened *)(uintptr_t)fi->fh;
  pthread_mutex_lock(&lock);
  if (o->attr == A_VALUE) {
    struct line *l = line_of(o->gpio, NULL);
    for (struct opened **pp = &l->opens; *pp; pp = &(*pp)->next) {
      if (*pp == o) {
        *pp = o->next;
        break;
      }
    }
  }
  if (o->ph) fuse_pollhandle_destroy(o->ph);
  pthread_mutex_unlock(&lock);
  free(o);
  return 0;
}

static int fs_read(const char *path, char *buf, size_t size, off_t off, struct fuse_file_info *fi) {
  (void)path;
  struct opened *o = (struct opened *)(uintptr_t)fi->fh;
  char text[80];
  int rc = 0;
  pthread_mutex_lock(&lock);
  struct line *l = o->gpio >= 0 ? line_of(o->gpio, NULL) : NULL;
  if (l && !l->exported) rc = -ENODEV;
  else switch (o->attr) {
    case A_BASE: snprintf(text, sizeof text, "%d\n", o->chip->base); break;
    case A_NGPIO: snprintf(text, sizeof text, "%d\n", o->chip->ngpio); break;
    case A_LABEL: snprintf(text, sizeof text, "%s\n", o->chip->label); break;
    case A_DIRECTION: snprintf(text, sizeof text, "%s\n", l->out ? "out" : "in"); break;
    case A_ACTIVE_LOW: snprintf(text, sizeof text, "%d\n", l->active_low); break;
    case A_EDGE: {
      static const char *names[] = {"none", "rising", "falling", "both"};
      snprintf(text, sizeof text, "%s\n", names[l->edge]);
      break;
    }
    case A_VALUE:
      snprintf(text, sizeof text, "%d\n", physical(l) ^ l->active_low);
      // kernfs: reading is what marks the last event seen (kernfs_seq_show).
      o->seen = l->event;
      break;
    default: rc = -EIO;
  }
  pthread_mutex_unlock(&lock);
  if (rc) return rc;
  size_t len = strlen(text);
  if ((size_t)off >= len) return 0;
  if (size > len - (size_t)off) size = len - (size_t)off;
  memcpy(buf, text + off, size);
  return (int)size;
}

// sysfs_streq: the written text, without one trailing newline, equals `s`.
static int streq(const char *buf, size_t size, const char *s) {
  if (size > 0 && buf[size - 1] == '\n') size--;
  return strlen(s) == size && !strncmp(buf, s, size);
}

// kstrtol: a whole decimal number, optionally followed by one newline.
static int parse_int(const char *buf, size_t size, long *v) {
  char text[32];
  if (size == 0 || size >= sizeof text) return -EINVAL;
  memcpy(text, buf, size);
  text[size] = 0;
  if (text[size - 1] == '\n') text[size - 1] = 0;
  char *end;
  errno = 0;
  *v = strtol(text, &end, 10);
  if (errno || end == text || *end) return -EINVAL;
  return 0;
}

static void notify_edge(struct line *l) {
  l->event++;
  for (struct opened *o = l->opens; o; o = o->next) {
    if (o->ph) {
      fuse_notify_poll(o->ph);
      fuse_pollhandle_destroy(o->ph);
      o->ph = NULL;
    }
  }
}

static int do_write(struct opened *o, const char *buf, size_t size) {
  long v;
  struct line *l;
  if (o->attr == A_EXPORT || o->attr == A_UNEXPORT) {
    if (parse_int(buf, size, &v)) return -EINVAL;
    l = line_of((int)v, NULL);
    if (!l) return -EINVAL;
    if (o->attr == A_EXPORT) {
      if (l->exported || l->claimed) return -EBUSY;
      l->exported = 1;
    } else {
      if (!l->exported) return -EINVAL;
      // gpiod_free clears the line's flags; the pin keeps its direction and level.
      l->exported = 0;
      l->edge = 0;
      l->active_low = 0;
    }
    return 0;
  }
  l = line_of(o->gpio, NULL);
  if (!l || !l->exported) return -ENODEV;
  switch (o->attr) {
    case A_DIRECTION:
      if (streq(buf, size, "in")) {
        l->out = 0;
      } else if (streq(buf, size, "out") || streq(buf, size, "low") || streq(buf, size, "high")) {
        // A line requested as an interrupt cannot become an output.
        if (l->edge) return -EIO;
        l->out = 1;
        l->drive = streq(buf, size, "high");
      } else {
        return -EINVAL;
      }
      return 0;
    case A_EDGE:
      if (l->out) return -EIO;
      if (streq(buf, size, "none")) l->edge = 0;
      else if (streq(buf, size, "rising")) l->edge = EDGE_RISING;
      else if (streq(buf, size, "falling")) l->edge = EDGE_FALLING;
      else if (streq(buf, size, "both")) l->edge = EDGE_RISING | EDGE_FALLING;
      else return -EINVAL;
      return 0;
    case A_ACTIVE_LOW:
      if (parse_int(buf, size, &v)) return -EINVAL;
      l->active_low = v != 0;
      return 0;
    case A_VALUE:
      if (!l->out) return -EPERM;
      if (parse_int(buf, size, &v)) return -EINVAL;
      l->drive = (v != 0) ^ l->active_low;
      return 0;
    default:
      return -EIO;
  }
}

static int fs_write(const char *path, const char *buf, size_t size, off_t off, struct fuse_file_info *fi) {
  (void)path; (void)off;
  struct opened *o = (struct opened *)(uintptr_t)fi->fh;
  pthread_mutex_lock(&lock);
  int rc = do_write(o, buf, size);
  pthread_mutex_unlock(&lock);
  return rc ? rc : (int)size;
}

// Opening with O_TRUNC (writeFileSync) truncates first; sysfs ignores it.
static int fs_truncate(const char *path, off_t size, struct fuse_file_info *fi) {
  (void)path; (void)size; (void)fi;
  return 0;
}

static int fs_poll(const char *path, struct fuse_file_info *fi, struct fuse_pollhandle *ph, unsigned *reventsp) {
  (void)path;
  struct opened *o = (struct opened *)(uintptr_t)fi->fh;
  pthread_mutex_lock(&lock);
  unsigned revents = POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM;
  if (o->attr == A_VALUE) {
    struct line *l = line_of(o->gpio, NULL);
    while (l->poll_paused) pthread_cond_wait(&resumed, &lock);
    if (o->seen != l->event) revents |= POLLPRI | POLLERR;
    if (ph) {
      if (o->ph) fuse_pollhandle_destroy(o->ph);
      o->ph = ph;
      ph = NULL;
    }
  }
  pthread_mutex_unlock(&lock);
  if (ph) fuse_pollhandle_destroy(ph);
  *reventsp = revents;
  return 0;
}

// The outside world changes an input's level: an edge if the line watches it.
static void set_level(struct line *l, int level) {
  if (l->ext == level) return;
  int before = physical(l) ^ l->active_low;
  l->ext = level;
  int after = physical(l) ^ l->active_low;
  if (l->out || !l->exported || before == after) return;
  if ((after && (l->edge & EDGE_RISING)) || (!after && (l->edge & EDGE_FALLING))) notify_edge(l);
}

static void command(char *cmd, char *reply, size_t n) {
  char verb[16];
  long a = 0;
  int args = sscanf(cmd, "%15s %ld", verb, &a);
  pthread_mutex_lock(&lock);
  struct line *l = args == 2 ? line_of((int)a, NULL) : NULL;
  if (args >= 1 && !strcmp(verb, "deny") && args == 2) {
    deny_export = a != 0;
    snprintf(reply, n, "ok\n");
  } else if (args < 2) {
    snprintf(reply, n, "error bad command\n");
  } else if (!l) {
    snprintf(reply, n, "error no gpio %ld\n", a);
  } else if (!strcmp(verb, "set")) {
    long level;
    if (sscanf(cmd, "%*s %*d %ld", &level) != 1 || (level != 0 && level != 1)) {
      snprintf(reply, n, "error set N 0|1\n");
    } else {
      set_level(l, (int)level);
      snprintf(reply, n, "ok\n");
    }
  } else if (!strcmp(verb, "get")) {
    static const char *names[] = {"none", "rising", "falling", "both"};
    snprintf(reply, n, "exported=%d direction=%s active_low=%d edge=%s value=%d level=%d\n", l->exported, l->out ? "out" : "in", l->active_low,
             names[l->edge], physical(l) ^ l->active_low, physical(l));
  } else if (!strcmp(verb, "pause") || !strcmp(verb, "resume")) {
    l->poll_paused = !strcmp(verb, "pause");
    pthread_cond_broadcast(&resumed);
    snprintf(reply, n, "ok\n");
  } else if (!strcmp(verb, "claim") || !strcmp(verb, "free")) {
    l->claimed = !strcmp(verb, "claim");
    snprintf(reply, n, "ok\n");
  } else {
    snprintf(reply, n, "error unknown command %s\n", verb);
  }
  pthread_mutex_unlock(&lock);
}

static void *serve_client(void *arg) {
  int fd = (int)(intptr_t)arg;
  FILE *in = fdopen(fd, "r");
  char cmd[128], reply[160];
  while (fgets(cmd, sizeof cmd, in)) {
    command(cmd, reply, sizeof reply);
    if (write(fd, reply, strlen(reply)) < 0) break;
  }
  fclose(in);
  return NULL;
}

static void *serve_control(void *arg) {
  int srv = (int)(intptr_t)arg;
  for (;;) {
    int fd = accept(srv, NULL, NULL);
    if (fd < 0) continue;
    pthread_t t;
    pthread_create(&t, NULL, serve_client, (void *)(intptr_t)fd);
    pthread_detach(t);
  }
  return NULL;
}

// The control socket appears only once the kernel has initialised the mount,
// so a test that can connect may use the tree.
static void *fs_init(struct fuse_conn_info *conn, struct fuse_config *cfg) {
  (void)conn;
  cfg->entry_timeout = 0;
  cfg->attr_timeout = 0;
  cfg->negative_timeout = 0;
  cfg->direct_io = 1;
  int srv = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  snprintf(sa.sun_path, sizeof sa.sun_path, "%s", control_path);
  unlink(control_path);
  if (srv < 0 || bind(srv, (struct sockaddr *)&sa, sizeof sa) || listen(srv, 8)) {
    perror("fake-sysfs-gpio: control socket");
    exit(1);
  }
  pthread_t t;
  pthread_create(&t, NULL, serve_control, (void *)(intptr_t)srv);
  pthread_detach(t);
  return NULL;
}

static const struct fuse_operations ops = {
    .init = fs_init,
    .getattr = fs_getattr,
    .readdir = fs_readdir,
    .open = fs_open,
    .release = fs_release,
    .read = fs_read,
    .write = fs_write,
    .truncate = fs_truncate,
    .poll = fs_poll,
};

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: fake-sysfs-gpio MOUNTPOINT CONTROL_SOCKET BASE:NGPIO:LABEL:DEVNAME...\n");
    return 2;
  }
  control_path = argv[2];
  for (int i = 3; i < argc && nchips < MAX_CHIPS; i++) {
    struct chip *c = &chips[nchips];
    if (sscanf(argv[i], "%d:%d:%63[^:]:%31s", &c->base, &c->ngpio, c->label, c->dev) != 4 || c->ngpio <= 0) {
      fprintf(stderr, "fake-sysfs-gpio: bad chip \"%s\" (BASE:NGPIO:LABEL:DEVNAME)\n", argv[i]);
      return 2;
    }
    c->lines = calloc((size_t)c->ngpio, sizeof *c->lines);
    for (int j = 0; j < c->ngpio; j++) c->lines[j].ext = 1;
    nchips++;
  }
  char *fargv[] = {argv[0], "-f", "-o", "fsname=fake-sysfs-gpio,subtype=gpio", argv[1], NULL};
  return fuse_main(5, fargv, &ops, NULL);
}

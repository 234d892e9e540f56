"""One student's files are theirs alone, however their account was made.

Whether a home is private depends on the command that made it and on the distribution: JupyterHub's
own `adduser --disabled-password` gives 0700 on Debian 12, a plain `useradd -m` 0755 with 0644 files,
and older Ubuntu releases' adduser 0755. So the hub does not rely on it. Before each student's server
starts, `PrivateLocalProcessSpawner`:

1. makes the home 0700 (creating it, owned by the student, if the account has none), and the course
   folder in it (~/lstmkit, where nbgitpuller puts the course) 0700 and the student's (one that
   root owns, because an instructor copied the course in as root, is given to the student);
2. if the home had let anyone else in (the account was made open), takes group and others' rights
   off everything in it, as the student (never as root: the home is the student's to shape, and a
   root process walking it would follow the links they planted);
3. starts the server with umask 077, so every file it, its kernels and terminals create is 0600 and
   every folder 0700.

A home owned by someone other than its student stops the spawn with an error that says so: the hub
will not hand a folder that another account owns (`/`, a shared folder) to a student.
"""
import asyncio
import os
import pwd
import stat

from jupyterhub.spawner import LocalProcessSpawner

PRIVATE = 0o700
UMASK = 0o077
COURSE_FOLDER = "lstmkit"
OPEN_BITS = stat.S_IRWXG | stat.S_IRWXO


def make_home_private(username, course_folder=COURSE_FOLDER):
    """Make `username`'s home and its course folder 0700 and theirs; return True if the home was open.

    "Open" means the home granted group or others any right before this call: then the files in it
    may be readable too, and the caller takes those rights off as the student (`close_home`).
    Runs as root in the hub. Nothing below the home is followed through a symbolic link.
    """
    account = pwd.getpwnam(username)
    home, uid, gid = account.pw_dir, account.pw_uid, account.pw_gid
    if not os.path.isabs(home) or os.path.realpath(home) == "/":
        raise ValueError(f"the home of {username} must be a folder of its own, got {home!r}")
    try:
        os.mkdir(home, PRIVATE)
        os.chown(home, uid, gid)
    except FileExistsError:
        pass
    fd = os.open(home, os.O_RDONLY | os.O_DIRECTORY)
    try:
        info = os.fstat(fd)
        if info.st_uid != uid:
            owner = _name_of(info.st_uid)
            raise PermissionError(f"the home of {username}, {home}, is owned by {owner}, not by {username}: "
                                  f"give {username} a home of their own (the hub makes only a student's "
                                  "own home private)")
        was_open = bool(info.st_mode & OPEN_BITS)
        os.fchmod(fd, PRIVATE)
        _make_course_private(fd, course_folder, uid, gid)
    finally:
        os.close(fd)
    return was_open


def _make_course_private(home_fd, name, uid, gid):
    """The course folder inside the home (opened without following a link): the student's, 0700.

    One that root owns (an instructor copied the course in as root) is given to the student; one that
    another account owns is left as it is (the private home keeps it from the others all the same).
    """
    try:
        fd = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=home_fd)
    except (FileNotFoundError, NotADirectoryError):
        return            # not pulled yet (nbgitpuller makes it at the first visit), or not a folder
    except OSError:       # a symbolic link (ELOOP): it points out of the home, leave it alone
        return
    try:
        owner = os.fstat(fd).st_uid
        if owner == 0 and uid != 0:
            os.fchown(fd, uid, gid)
        if owner in (0, uid):
            os.fchmod(fd, PRIVATE)
    finally:
        os.close(fd)


async def close_home(username, timeout=120):
    """As the student: take group and others' rights off everything in their home (`chmod -R go=`).

    chmod does not follow symbolic links while it walks. A file the student does not own (root put it
    there) keeps its mode; the 0700 home keeps it from other students all the same.
    Returns chmod's exit status (0: every file changed) and what it wrote to stderr, or why it stopped.
    """
    account = pwd.getpwnam(username)
    proc = await asyncio.create_subprocess_exec(
        "chmod", "-R", "go=", "--", account.pw_dir, user=account.pw_uid, group=account.pw_gid,
        extra_groups=[], stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE, cwd="/")
    try:
        _, err = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:      # a huge home: the 0700 home keeps the rest from the others all the same
        proc.kill()
        await proc.wait()
        return proc.returncode, f"stopped after {timeout} s"
    return proc.returncode, err.decode(errors="replace")


def _name_of(uid):
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"


class PrivateLocalProcessSpawner(LocalProcessSpawner):
    """LocalProcessSpawner (the server runs as the student) whose student's files stay private."""

    async def start(self):
        if make_home_private(self.user.name):
            status, err = await close_home(self.user.name)
            if status:
                self.log.warning("chmod -R go= in the home of %s left some files as they were: %s",
                                 self.user.name, err.strip())
        return await super().start()

    def make_preexec_fn(self, name):
        become_student = super().make_preexec_fn(name)

        def preexec():
            os.umask(UMASK)       # inherited by the server, its kernels and its terminals
            become_student()

        return preexec

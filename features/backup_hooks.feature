Feature: Backup hooks

  A backup preset can run shell commands before and after `restic backup`: pre-hooks
  prepare what is backed up (a database dump), post-hooks clean up and report the
  outcome (a healthchecks ping). Keld keeps restic's exit code and signals intact
  around them.

  Every scenario runs the real keld binary with a cleared environment, a temporary
  home, a config file given with --config and a stand-in restic that records its
  arguments and environment.

  Background:
    Given the preset "home" backs up the source directory

  Rule: The most specific section that sets a hook key supplies the hooks

    Scenario: A more specific section replaces inherited hook lists
      Given hooks "global", "suffix", "prefix" and "full" in global.backup, @cloud.backup, home@.backup and home@cloud.backup
      When keld runs "backup" for preset "home@cloud"
      Then the log is exactly:
        | pre full           |
        | restic backup      |
        | post full          |
      And restic received no argument mentioning hooks

    Scenario: A section without hook keys inherits the hooks
      Given hooks "inherited" in global.backup only
      When keld runs "backup" for preset "home"
      Then the log is exactly:
        | pre inherited  |
        | restic backup  |
        | post inherited |

    Scenario: Empty hook lists clear inherited hooks
      Given hooks "inherited" in global.backup only
      And the home.backup section sets both hook lists to empty
      When keld runs "backup" for preset "home"
      Then the log is exactly:
        | restic backup |

  Rule: Pre-hooks run first and can stop or skip the backup

    Scenario: Pre-hooks complete successfully
      Given the pre-hooks "pre one" and "pre two"
      When keld runs the backup
      Then the log is exactly:
        | pre one       |
        | pre two       |
        | restic backup |
      And keld exits with code 0

    Scenario: A failing pre-hook stops everything
      Given the pre-hooks "pre one" and a pre-hook that exits 42
      And the post-hook "post should not run"
      When keld runs the backup
      Then restic backup is not attempted
      And no post-hook ran
      And stderr says "pre-hook" and "failed: exit status 42"
      And keld exits with code 1

    Scenario: A pre-hook exiting 75 skips the backup without an error
      Given a pre-hook that exits 75
      And the post-hook "post should not run"
      When keld runs the backup
      Then restic backup is not attempted
      And no post-hook ran
      And stderr says "backup skipped"
      And keld exits with code 0

    Scenario: Hooks learn the preset and the command as typed
      Given the pre-hook logs KELD_PRESET and KELD_COMMAND
      When keld runs the backup
      Then the log contains "pre preset=home command=backup"
      And restic's environment has no KELD_PRESET and no KELD_RESTIC_STATUS

  Rule: Post-hooks run after restic was attempted and learn its outcome

    Scenario Outline: Post-hooks receive restic's exit code and status
      Given a post-hook that logs the restic outcome
      And restic exits with code <code>
      When keld runs the backup
      Then the log ends with "post code=<code> status=<status> command=backup"
      And keld exits with code <code>

      Examples:
        | code | status             |
        | 0    | success            |
        | 1    | fatal              |
        | 2    | runtime_error      |
        | 3    | partial            |
        | 10   | repository_missing |
        | 11   | locked             |
        | 12   | wrong_password     |
        | 130  | interrupted        |
        | 143  | terminated         |
        | 99   | unknown_failure    |

    Scenario: A failing post-hook does not hide restic's failure
      Given a post-hook that exits 44
      And restic exits with code 3
      When keld runs the backup
      Then stderr says "post-hook" and "failed: exit status 44"
      And keld exits with code 3

    Scenario: A failing post-hook after a successful restic fails the run
      Given a post-hook that exits 44
      And a post-hook that logs the restic outcome
      When keld runs the backup
      Then the log ends with "post code=0 status=success command=backup"
      And stderr says "post-hook" and "failed: exit status 44"
      And keld exits with code 1

  Rule: A restic that cannot run is reported distinctly

    Scenario: restic exists but cannot start
      Given the pre-hooks "pre one" and "pre two"
      And a post-hook that logs the restic outcome
      And restic is a script whose interpreter does not exist
      When keld runs the backup
      Then the log is exactly:
        | pre one                                          |
        | pre two                                          |
        | post code=unset status=start_failed command=backup |
      And stderr says "starting restic:" and "restic"
      And keld exits with code 126

    Scenario: restic does not exist
      Given the pre-hooks "pre one" and "pre two"
      And a post-hook that logs the restic outcome
      And restic does not exist
      When keld runs the backup
      Then the log is empty
      And stderr says "restic not found" and "does not exist"
      And keld exits with code 127

    Scenario: A failing _COMMAND stops keld before any hook
      Given the pre-hooks "pre one" and "pre two"
      And the environment variable TOKEN comes from a command that fails with "vault sealed"
      When keld runs the backup
      Then the log is empty
      And stderr says "TOKEN_COMMAND failed: exit status 3" and "vault sealed"
      And stderr never mentions "not-for-your-eyes"
      And keld exits with code 1

    Scenario: restic, hooks and _COMMANDs run in the working directory
      Given the preset sets _workdir to the directory "work"
      And the environment variable WHERE comes from the command "pwd"
      And a pre-hook that logs its working directory and WHERE
      When keld runs the backup
      Then the log contains "pre cwd=work where=work"
      And restic ran in the directory "work"

  Rule: Hooks follow the restic command that runs, after aliasing

    Scenario: An alias of backup gets the backup hooks
      Given the section home.nightly aliases backup with its own hooks
      When keld runs "nightly" for preset "home"
      Then the log is exactly:
        | pre nightly                                |
        | restic backup                              |
        | post code=0 status=success command=nightly |

    Scenario: Other commands ignore the hooks and keep restic's exit code
      Given hooks "inherited" in the preset home itself
      And restic exits with code 12
      When keld runs "snapshots" for preset "home"
      Then the log is exactly:
        | restic snapshots |
      And keld exits with code 12

  Rule: Signals from other processes reach restic once, and keld reports them

    Scenario Outline: A signal sent to keld is forwarded to restic
      Given a post-hook that logs the restic outcome
      And restic waits for a signal
      When keld runs the backup and receives SIG<signal> while restic runs
      Then restic received SIG<signal> exactly once
      And the log ends with "post code=<code> status=<status> command=backup"
      And keld exits with code <code>

      Examples:
        | signal | code | status          |
        | TERM   | 143  | terminated      |
        | INT    | 130  | interrupted     |
        | HUP    | 129  | unknown_failure |

  Rule: Command previews show hooks but no run-time values

    Scenario: Showing the command for a backup with hooks
      Given the pre-hooks "pre one" and "pre two"
      And the post-hook "post preview"
      When keld shows the backup command
      Then stdout says "pre-hooks:" and "pre one"
      And stdout says "post-hooks:" and "post preview"
      And stdout never mentions "KELD_RESTIC_EXIT_CODE"
      And stdout never mentions "KELD_RESTIC_STATUS"
      And the log is empty
      And keld exits with code 0

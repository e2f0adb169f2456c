Feature: Finding the way through the interactive mode

  On a terminal, a bare `keld`, or a command whose values are not all given, opens
  one full-screen session that asks only for what is missing, shows the exact restic
  command and runs it after confirmation, the same way as if it had been typed. A
  bare `keld` starts at the dashboard: each preset's last backup, from keld's run
  records.

  Every scenario runs the real keld binary on a 100×30 pseudo-terminal with a cleared
  environment and a config file given with --config. restic is a stand-in that
  records its arguments and exits with a chosen code; the screen is read through a
  terminal emulator, as a person would see it.

  Background:
    Given presets "home" and "work", each with a repository and a password

  Rule: A bare keld starts at the dashboard of each preset's last backup

    Scenario: Bare keld starts at the dashboard, the command menu one key away
      When keld starts on a terminal with no arguments
      Then the screen title is "Backups"
      And the screen shows "No runs recorded yet"
      And the row of "home" shows "no backup recorded"
      And the help bar shows "Enter commands  d drill  c menu"
      When I press "c"
      Then the screen title is "Command"
      And the screen shows "restore    bring files back from a snapshot"
      And the help bar shows "Enter choose  Esc back  q/Ctrl-C quit"

    Scenario: Each preset's last backup, the stale one marked
      Given the records say "home" backed up with result "success" 2 hours ago
      And the records say "work" backed up with result "success" 3 days ago
      And the records say "work" backed up with result "failed" 1 hour ago
      When keld starts on a terminal with no arguments
      Then the row of "home" shows "success  2h ago"
      And the row of "work" shows "⚠ failed   1h ago"
      And the row of "work" shows "stale: last success 3d ago"
      And the row of "home" does not show "stale"

    Scenario: Records that cannot be read are a note, and the screens still work
      Given the records file cannot be read
      When keld starts on a terminal with no arguments
      Then the screen shows "cannot read the run records"
      When I choose "work"
      Then the screen shows "for work"
      When I choose "check"
      Then the confirmation shows "restic check --repo <root>/repos/work"

    Scenario: Lines of the records that are not records are skipped with a note
      Given the records say "home" backed up with result "warning" 5 hours ago
      And the records file holds 2 lines that are not records
      When keld starts on a terminal with no arguments
      Then the screen shows "2 lines of <root>/home/.local/state/keld/runs.jsonl are not run"
      And the row of "home" shows "warning  5h ago"

  Rule: Only the values not yet known are asked

    Scenario: A preset chosen on the dashboard and a command run after confirmation
      When keld starts on a terminal with no arguments
      And I choose "work"
      And I choose "check"
      Then the confirmation shows "restic check --repo <root>/repos/work"
      And the confirmation lists the variable "RESTIC_PASSWORD" without its value
      When I press Enter
      Then keld exits with code 0
      And restic ran "check --repo <root>/repos/work"
      And the terminal is back to normal

    Scenario: --preset skips the preset picker
      When keld starts on a terminal with "-p work"
      And I choose "stats"
      Then the confirmation shows "restic stats --repo <root>/repos/work"
      And the screen shows "keld › stats › work"

    Scenario: A command alone with several presets asks only for the preset
      When keld starts on a terminal with "snapshots"
      Then the screen title is "Preset"
      And the screen shows "keld › snapshots"
      And the screen shows "<root>/repos/work"
      When I choose "home"
      Then the confirmation shows "restic snapshots --repo <root>/repos/home"

    Scenario: With one preset nothing but the command is asked
      Given only the preset "home"
      When keld starts on a terminal with no arguments
      And I press "c"
      And I choose "unlock"
      Then the confirmation shows "restic unlock --repo <root>/repos/home"

    Scenario: A command with everything it needs runs without any screen
      When keld starts on a terminal with "-p home snapshots"
      Then keld exits with code 0
      And restic ran "snapshots --repo <root>/repos/home"
      And the output never entered the alternate screen

  Rule: Esc goes back, Esc on the first screen and Ctrl-C leave with 130

    Scenario: Esc goes back one screen and keeps the answer
      When keld starts on a terminal with no arguments
      And I press "c"
      And I choose "forget"
      Then the screen title is "Preset"
      And the screen shows "keld › forget"
      When I press Esc
      Then the screen title is "Command"
      And the cursor is on "forget"
      And the screen does not show "keld › forget"
      When I press Esc
      Then the screen title is "Backups"
      When I press Esc
      Then keld exits with code 130
      And restic never ran
      And the terminal is back to normal

    Scenario: q leaves, and ? lists the keys of the screen first
      When keld starts on a terminal with no arguments
      And I press "?"
      Then the screen shows "Keys: Backups"
      And the screen shows "leave without running anything"
      When I press "q"
      Then the screen title is "Backups"
      When I press "q"
      Then keld exits with code 130
      And restic never ran
      And the terminal is back to normal

    Scenario: Ctrl-C leaves from the confirmation without running anything
      When keld starts on a terminal with no arguments
      And I choose "home"
      And I choose "prune"
      Then the confirmation shows "restic prune"
      When I press Ctrl-C
      Then keld exits with code 130
      And restic never ran
      And the terminal is back to normal

    Scenario: Leaving while restic still lists the snapshots stops that restic
      Given restic takes a long time to list the snapshots
      When keld starts on a terminal with "-p home restore"
      Then the screen shows "Reading the snapshots"
      And restic is listing the snapshots
      When I press Ctrl-C
      Then keld exits with code 130
      And the log shows "restic snapshots got TERM"
      And the terminal is back to normal

    Scenario: A termination signal while the screens are up restores the terminal
      When keld starts on a terminal with no arguments
      And keld receives SIGTERM
      Then keld exits with code 143
      And restic never ran
      And the terminal is back to normal

  Rule: A run started from the screens is a normal run

    Scenario: A backup chosen on the screens runs its hooks and keeps restic's exit code
      Given the preset "home" backs up the source directory with hooks
      And restic exits with code 3
      When keld starts on a terminal with "backup"
      And I choose "home"
      Then the confirmation shows "restic backup --repo <root>/repos/home <root>/source"
      When I press Enter
      Then keld exits with code 3
      And the log is exactly:
        | pre-hook                        |
        | restic backup                   |
        | post-hook code=3 status=partial |

    Scenario: A choice that does not resolve cannot be confirmed
      When keld starts on a terminal with "backup"
      And I choose "work"
      Then the screen shows "This choice does not resolve:"
      And the screen shows "restic backup needs paths to back up"
      When I press Enter
      Then the screen shows "Go back (Esc) and fix the choice first."
      When I press Ctrl-C
      Then keld exits with code 130
      And restic never ran

  Rule: Nothing is asked without a terminal or with KELD_NONINTERACTIVE

    Scenario: KELD_NONINTERACTIVE on a terminal keeps the error
      Given KELD_NONINTERACTIVE is set
      When keld starts on a terminal with no arguments
      Then keld exits with code 1
      And the output says "no command given"
      And the output never entered the alternate screen

    Scenario: Without a terminal a missing preset is an error
      When keld runs without a terminal with "snapshots"
      Then keld exits with code 1
      And the output says "choose one with --preset"
      And restic never ran

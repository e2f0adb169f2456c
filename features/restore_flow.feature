@real_restic
Feature: Restoring files chosen on the screens

  `keld restore` on a terminal asks for the snapshot (listed by `restic snapshots
  --json` in the background), the files (a tree from `restic ls --json`), the target
  directory and, on restic 0.17 and later, what to do with existing files; then it
  shows the exact restic command and runs it.

  Every scenario runs the real keld binary on a 100×30 pseudo-terminal against the
  real restic and a repository in a temp dir. The config has two presets: "home",
  whose repository holds one snapshot of `notes.txt` and `photo.jpg` made by keld,
  and "away", whose repository does not exist.

  Background:
    Given a repository with one snapshot of "notes.txt" and "photo.jpg" made by keld

  Scenario: One file picked in the tree is restored, the other is not
    When keld starts on a terminal with "restore"
    And I choose "home"
    And I choose the snapshot
    And I select "notes.txt" in the tree
    And I press Enter
    And I give the target "restored"
    Then the confirmation shows "--include <root>/source/notes.txt"
    When I confirm
    Then keld exits with code 0
    And "restored" holds "notes.txt" as it was backed up
    And "restored" does not hold "photo.jpg"
    And the terminal is back to normal

  Scenario: Everything selected is a full restore without includes
    When keld starts on a terminal with "-p home restore"
    And I choose the snapshot
    Then the screen shows "notes.txt"
    When I press "a"
    Then the screen shows "everything selected: full restore"
    When I press Enter
    And I give the target "all"
    Then the confirmation does not show "--include"
    When I confirm
    Then keld exits with code 0
    And "all" holds "notes.txt" as it was backed up
    And "all" holds "photo.jpg" as it was backed up

  Scenario: The snapshot list filters while restic's answer is kept
    When keld starts on a terminal with "-p home restore"
    Then the screen shows the snapshot
    When I press "/"
    And I type "no such host"
    Then the screen shows "0 of 1"
    And the screen does not show the snapshot
    When I press Esc
    Then the screen shows the snapshot
    And the screen does not show "Filter:"

  Scenario: A repository that cannot be read offers a field for the snapshot ID
    When keld starts on a terminal with "-p away restore"
    Then the screen shows "restic could not list the snapshots:"
    And the screen shows "Type a snapshot ID (or `latest`) to restore from:"
    When I type "latest"
    And I press Enter
    Then the screen shows "restic could not list the snapshot's files:"
    When I press Enter
    And I give the target "nowhere"
    Then the confirmation shows "restic restore --repo <root>/away --target <root>/nowhere"
    And the command to run ends with "latest"
    When I press Ctrl-C
    Then keld exits with code 130
    And "away" does not exist

  Scenario: A missing password is a notice, never a prompt behind the screen
    Given the preset "home" has no password
    When keld starts on a terminal with "-p home restore"
    Then the screen shows "restic could not list the snapshots:"
    And the screen shows "password"
    And the screen shows "Type a snapshot ID"
    When I press Esc
    Then keld exits with code 130

  Scenario: A password from a _COMMAND is fetched once for all the screens
    Given the password of "home" comes from a _COMMAND that counts its runs
    When keld starts on a terminal with "-p home restore"
    And I choose the snapshot
    And I select "photo.jpg" in the tree
    And I press Enter
    And I give the target "photos"
    And I confirm
    Then keld exits with code 0
    And "photos" holds "photo.jpg" as it was backed up
    And the _COMMAND ran 2 times

  Scenario: A target set in the config is not asked again
    Given the preset "home" restores into "configured"
    When keld starts on a terminal with "-p home restore"
    And I choose the snapshot
    And I select "notes.txt" in the tree
    And I press Enter
    Then the confirmation shows "--target <root>/configured"
    When I confirm
    Then keld exits with code 0
    And "configured" holds "notes.txt" as it was backed up
    And "configured" does not hold "photo.jpg"

  Scenario: A target typed with ~ is in the home directory
    When keld starts on a terminal with "-p home restore"
    And I choose the snapshot
    And I select "notes.txt" in the tree
    And I press Enter
    And I type "~/restored"
    And I press Enter
    And I confirm
    Then keld exits with code 0
    And "home/restored" holds "notes.txt" as it was backed up
    And "home/restored" does not hold "photo.jpg"

  Scenario: A search in the tree finds and selects a file
    When keld starts on a terminal with "-p home restore"
    And I choose the snapshot
    Then the screen shows "nothing selected"
    When I press "/"
    And I type "photo"
    And I press Enter
    And I press " "
    Then the screen shows "1 path selected"
    When I press Enter
    And I give the target "found"
    And I confirm
    Then keld exits with code 0
    And "found" holds "photo.jpg" as it was backed up
    And "found" does not hold "notes.txt"

  Scenario: The menu's snapshots shows a snapshot's files without restoring them
    When keld starts on a terminal with "-p home"
    And I choose "snapshots"
    Then the screen shows the snapshot
    When I press Enter
    Then the screen shows "Files in the snapshot"
    And the screen shows "notes.txt"
    When I press "q"
    Then keld exits with code 130
    And the terminal is back to normal

  Scenario: The dashboard shows the backup keld made, and a drill from it finds the files as they are
    When keld starts on a terminal with no arguments
    Then the screen title is "Backups"
    And the row of "home" shows "success"
    And the row of "away" shows "no backup recorded"
    When I move to "home"
    And I press "d"
    Then the screen shows "3 ok, 0 changed, 0 missing, 0 errors"
    And the screen shows "ok      <root>/source/notes.txt"
    And the screen shows "ok      <root>/source/photo.jpg"
    And no drill directory is left behind
    When I press Esc
    Then the screen title is "Backups"
    And the records hold a drill of "home" with result "success"
    When I press "q"
    Then keld exits with code 130
    And the terminal is back to normal

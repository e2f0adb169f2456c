//! `keld completions <shell>`: generated from the clap definition.
//!
//! clap_complete writes the static part (options, keld's own commands, and restic's
//! commands, which keld knows as data). Preset names live in the user's config and
//! change, so each script gets a small shell-specific addition that asks
//! `keld presets --complete WORD --null` at completion time.

use clap::CommandFactory;
use clap_complete::Generator;

use crate::cli::{Cli, Shell};

/// The completion script for `shell`.
pub(crate) fn script(shell: Shell) -> String {
    let mut command = command_with_restic_commands();
    let mut out = Vec::new();
    match shell {
        Shell::Bash => generate(clap_complete::Shell::Bash, &mut command, &mut out),
        Shell::Zsh => generate(clap_complete::Shell::Zsh, &mut command, &mut out),
        Shell::Fish => generate(clap_complete::Shell::Fish, &mut command, &mut out),
    }
    let generated = String::from_utf8_lossy(&out).into_owned();
    match shell {
        Shell::Bash => generated + BASH_PRESETS,
        Shell::Fish => generated + FISH_PRESETS,
        Shell::Zsh => wire_zsh_presets(&generated),
    }
}

/// clap writes `:NAME:_default` as the action of `-p`/`--preset`; point it at
/// `_keld_presets` instead, defined before `_keld` so both autoloading (`fpath`) and
/// sourcing find it.
fn wire_zsh_presets(generated: &str) -> String {
    let mut out = String::with_capacity(generated.len() + ZSH_PRESETS.len());
    for (index, line) in generated.lines().enumerate() {
        if line.contains("[Preset to resolve") {
            out.push_str(&line.replace(":NAME:_default'", ":NAME:_keld_presets'"));
        } else {
            out.push_str(line);
        }
        out.push('\n');
        if index == 0 {
            out.push_str(ZSH_PRESETS);
        }
    }
    out
}

fn generate(generator: impl Generator, command: &mut clap::Command, out: &mut Vec<u8>) {
    clap_complete::generate(generator, command, "keld", out);
}

/// keld's clap command plus one entry per restic command, so COMMAND completes too.
fn command_with_restic_commands() -> clap::Command {
    let mut command = Cli::command();
    for restic in keld_config::restic::commands() {
        command = command.subcommand(
            clap::Command::new(restic.name)
                .about(format!("restic {}", restic.name))
                .disable_help_flag(true),
        );
    }
    command
}

/// Bash: wrap clap's `_keld` so `-p`/`--preset` before COMMAND completes preset names.
///
/// A preset name is config text (any TOML key: `$(...)`, backticks, quotes, spaces,
/// newlines), so it is never handed to anything that expands words (`compgen -W`
/// would run a `$(...)` in a name on TAB): keld prints the names raw, each ended by a
/// NUL byte, and they are matched here as plain strings and quoted with `%q`.
const BASH_PRESETS: &str = r#"
# Preset names come from the config at completion time, raw and NUL-terminated; they
# are compared and quoted as plain strings, never expanded or evaluated.
_keld_presets() {
    local typed=$1 cur= name quoted i
    # The word typed so far without its quoting (a leading quote, backslashes).
    case $typed in
        \'*) cur=${typed#\'}; cur=${cur%\'} ;;
        \"*) cur=${typed#\"}; cur=${cur%\"} ;;
        *)
            for ((i = 0; i < ${#typed}; i++)); do
                if [[ ${typed:i:1} == \\ ]]; then ((i++)); fi
                cur+=${typed:i:1}
            done
            ;;
    esac
    COMPREPLY=()
    while IFS= read -r -d '' name; do
        [[ $name == "$cur"* ]] || continue
        printf -v quoted '%q' "$name"
        COMPREPLY+=("$quoted")
    done < <(keld presets --complete="$cur" --null 2>/dev/null)
}

# After COMMAND every word is restic's (its -p is --password-file), so only keld's own
# -p completes presets.
_keld_with_presets() {
    local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}"
    local i skip=0
    for ((i = 1; i < COMP_CWORD; i++)); do
        if ((skip)); then skip=0; continue; fi
        case "${COMP_WORDS[i]}" in
            -p|--preset|-c|--config) skip=1 ;;
            -*|=) ;;
            *) _keld "$@"; return ;;
        esac
    done
    if [[ "$prev" == "-p" || "$prev" == "--preset" ]]; then
        _keld_presets "$cur"
        return 0
    fi
    # `--preset=NAME`: bash splits the word at `=`.
    if [[ "$prev" == "=" && "${COMP_WORDS[COMP_CWORD-2]}" == "--preset" ]]; then
        _keld_presets "$cur"
        return 0
    fi
    _keld "$@"
}
complete -F _keld_with_presets -o bashdefault -o default keld
"#;

/// Zsh: a function the `--preset` argument spec calls (wired in by [`script`]).
///
/// The names arrive raw and NUL-terminated, are split on NUL only and go to
/// `compadd` as data, which quotes them when it inserts one. (`_describe` would cut a
/// name at its first `:`, which it reads as the start of a description.)
const ZSH_PRESETS: &str = r#"
# Preset names come from the config at completion time, raw and NUL-terminated; they
# are never expanded or evaluated.
(( $+functions[_keld_presets] )) ||
_keld_presets() {
    emulate -L zsh
    local -a presets expl
    presets=("${(@0)"$(keld presets --complete="${(Q)PREFIX}" --null 2>/dev/null)"}")
    presets=("${(@)presets:#}")
    _wanted presets expl 'preset' compadd -a presets
}
"#;

/// Fish: an extra rule for keld's own `-p`, before COMMAND only.
///
/// The names arrive raw and NUL-terminated (`string split0`); fish never expands the
/// output of a command substitution, and quotes a candidate when it inserts it. Fish
/// reads a tab in a candidate as the start of its description, so a name holding a
/// tab is not offered (it would complete to a different name).
const FISH_PRESETS: &str = r#"
# Preset names come from the config at completion time, raw and NUL-terminated.
# Before COMMAND only; unlike clap's `__fish_keld_needs_command`, this holds while the
# value of -p is still being typed.
function __fish_keld_before_command
    set -l words (commandline -opc)
    set -e words[1]
    set -l skip 0
    for word in $words
        if test $skip = 1
            set skip 0
            continue
        end
        switch $word
            case -p --preset -c --config
                set skip 1
            case '-*'
            case '*'
                return 1
        end
    end
    return 0
end
# The names, NUL-terminated, without those holding a tab (fish would read the rest as
# a description). A command substitution ending in `string split0` splits on NUL only.
function __fish_keld_presets
    set -l typed (commandline -ct | string unescape | string replace -r -- '^--preset=' '')
    for name in (keld presets --complete="$typed" --null 2>/dev/null | string split0)
        if not string match -q -- "*"\t"*" $name
            printf '%s\0' $name
        end
    end
end
complete -c keld -n __fish_keld_before_command -s p -l preset -x -a '(__fish_keld_presets | string split0)' -d 'preset'
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zsh_preset_option_completes_with_keld_presets() {
        let script = script(Shell::Zsh);
        let wired = script
            .lines()
            .filter(|line| line.contains(":NAME:_keld_presets'"))
            .count();
        assert_eq!(wired, 2, "both -p and --preset: {script}");
        assert!(script.starts_with("#compdef keld\n"));
    }

    #[test]
    fn restic_commands_are_completed() {
        let script = script(Shell::Fish);
        for command in keld_config::restic::commands() {
            assert!(
                script.contains(&format!("-a \"{}\"", command.name)),
                "{} missing",
                command.name
            );
        }
        assert!(!keld_config::restic::commands().is_empty());
    }
}

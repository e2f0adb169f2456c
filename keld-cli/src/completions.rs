//! `keld completions <shell>`: generated from the clap definition.
//!
//! clap_complete writes the static part (options, keld's own commands, and restic's
//! commands, which keld knows as data). Preset names live in the user's config and
//! change, so each script gets a small shell-specific addition that asks
//! `keld presets --names` at completion time.

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
const BASH_PRESETS: &str = r#"
# Preset names come from the config at completion time. After COMMAND every word is
# restic's (its -p is --password-file), so only keld's own -p completes presets.
_keld_with_presets() {
    local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}"
    local i skip=0
    for ((i = 1; i < COMP_CWORD; i++)); do
        if ((skip)); then skip=0; continue; fi
        case "${COMP_WORDS[i]}" in
            -p|--preset|-c|--config) skip=1 ;;
            -*) ;;
            *) _keld "$@"; return ;;
        esac
    done
    if [[ "$prev" == "-p" || "$prev" == "--preset" ]]; then
        local IFS=$'\n'
        COMPREPLY=($(compgen -W "$(keld presets --names 2>/dev/null)" -- "$cur"))
        return 0
    fi
    _keld "$@"
}
complete -F _keld_with_presets -o bashdefault -o default keld
"#;

/// Zsh: a function the `--preset` argument spec calls (wired in by [`script`]).
const ZSH_PRESETS: &str = r#"
# Preset names come from the config at completion time.
(( $+functions[_keld_presets] )) ||
_keld_presets() {
    local -a presets
    presets=(${(f)"$(keld presets --names 2>/dev/null)"})
    _describe -t presets 'preset' presets
}
"#;

/// Fish: an extra rule for keld's own `-p`, before COMMAND only.
const FISH_PRESETS: &str = r#"
# Preset names come from the config at completion time.
complete -c keld -n "__fish_keld_needs_command" -s p -l preset -x -a '(keld presets --names 2>/dev/null)' -d 'preset'
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

//! `convert`: the removed beta Ingresses and IngressClasses rewritten as `networking.k8s.io/v1`.
//!
//! The conversion is the API server's (see `ingress_model::beta`); the file rewrite keeps every
//! other document byte for byte (see `ingress_model::beta::rewrite`). Without `-o`, the
//! rewritten files go to stdout as one YAML stream; with `-o DIR`, each input file is written
//! under DIR at its path relative to the `-f` argument it came from (so a directory converts
//! to a directory of the same shape), converted or not.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use ingress_model::beta::rewrite::rewrite;
use ingress_model::load::manifest_files;
use ingress_model::{Manifests, Origin};

use crate::InputError;

/// One input file and where it goes under `-o`.
struct Input {
    path: PathBuf,
    relative: PathBuf,
}

/// The files named by the `-f` arguments, each with its path relative to its argument.
fn inputs(args: &[PathBuf]) -> Result<Vec<Input>, InputError> {
    let mut out = Vec::new();
    for arg in args {
        if arg.is_dir() {
            let files = manifest_files(arg).map_err(|e| {
                eprintln!("error: {}: cannot read directory: {e}", arg.display());
                InputError
            })?;
            for path in files {
                let relative = path.strip_prefix(arg).unwrap_or(&path).to_path_buf();
                out.push(Input { path, relative });
            }
        } else {
            let relative = PathBuf::from(arg.file_name().unwrap_or(arg.as_os_str()));
            out.push(Input {
                path: arg.clone(),
                relative,
            });
        }
    }
    Ok(out)
}

/// Where the loader found an object: file, document, `List` item.
type Place<'m> = (&'m str, usize, Option<usize>);

/// What the loader called each Ingress and IngressClass, by place (`Ingress prod/shop`).
fn object_names(manifests: &Manifests) -> HashMap<Place<'_>, String> {
    fn place(o: &Origin) -> Place<'_> {
        (o.file.as_str(), o.document, o.item)
    }
    manifests
        .ingresses
        .iter()
        .map(|l| (place(&l.origin), format!("Ingress {}", l.object.key())))
        .chain(manifests.ingress_classes.iter().map(|l| {
            (
                place(&l.origin),
                format!("IngressClass {}", l.object.metadata.name()),
            )
        }))
        .collect()
}

/// Runs `convert`. `manifests` is what the loader read from the same files (already checked
/// for load errors), for the objects' names.
pub(crate) fn run(
    files: &[PathBuf],
    output: Option<&Path>,
    manifests: &Manifests,
) -> Result<ExitCode, InputError> {
    let inputs = inputs(files)?;
    let names = object_names(manifests);
    let mut stdout = std::io::stdout().lock();
    let (mut converted, mut changed_files) = (0, 0);
    for (index, input) in inputs.iter().enumerate() {
        let name = input.path.display().to_string();
        let text = std::fs::read_to_string(&input.path).map_err(|e| {
            eprintln!("error: {name}: cannot read: {e}");
            InputError
        })?;
        let out = rewrite(&text);
        let mut noted = None;
        for d in &out.converted {
            let item = d.item.map(|i| format!(", items[{i}]")).unwrap_or_default();
            eprintln!(
                "converted: {name}: document {}{item} (line {}): {} {} -> networking.k8s.io/v1",
                d.document,
                d.line,
                d.removed.from,
                names
                    .get(&(name.as_str(), d.document, d.item))
                    .map_or(d.removed.kind, String::as_str),
            );
            if d.had_comments && noted != Some(d.document) {
                noted = Some(d.document);
                eprintln!(
                    "note: {name}: document {}: its comments are not kept (it is written anew)",
                    d.document
                );
            }
        }
        converted += out.converted.len();
        changed_files += usize::from(!out.converted.is_empty());
        match output {
            Some(dir) => {
                let target = dir.join(&input.relative);
                let written = target
                    .parent()
                    .map_or(Ok(()), std::fs::create_dir_all)
                    .and_then(|()| std::fs::write(&target, &out.text));
                if let Err(e) = written {
                    eprintln!("error: {}: cannot write: {e}", target.display());
                    return Err(InputError);
                }
            }
            None => {
                let mut text = out.text;
                if index + 1 < inputs.len() && !text.ends_with('\n') {
                    text.push('\n');
                }
                if index > 0 {
                    text.insert_str(0, "---\n");
                }
                if stdout.write_all(text.as_bytes()).is_err() {
                    break;
                }
            }
        }
    }
    eprintln!(
        "{converted} object(s) converted in {changed_files} of {} file(s)",
        inputs.len()
    );
    Ok(ExitCode::SUCCESS)
}

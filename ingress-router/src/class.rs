//! [`ClassFilter`]: which Ingresses a table serves (crate docs, section 7).

use ingress_model::{Ingress, IngressClass};

use crate::error::NotServed;

/// Which Ingresses a table serves, by IngressClass.
///
/// An Ingress is served when its `spec.ingressClassName` names one of our classes; or, when the
/// field is unset, when its deprecated `kubernetes.io/ingress.class` annotation names one; or,
/// when both are unset, when class-less Ingresses are accepted. The field is read first, as
/// ingress-nginx does (semantics f.3; KEP-1453 and Contour read the annotation first, but the
/// API server only lets the two differ through an update).
///
/// The default serves every Ingress, whatever its class: right for offline tools that are
/// handed exactly the objects to route. A controller names its classes.
///
/// # Examples
///
/// ```
/// use ingress_router::ClassFilter;
/// use ingress_model::Ingress;
///
/// let mut ing = Ingress::default();
/// let filter = ClassFilter::classes(["ours"]).accept_classless(true);
/// assert!(filter.serves(&ing).is_ok()); // class-less accepted
///
/// ing.spec.ingress_class_name = Some("theirs".into());
/// assert!(filter.serves(&ing).is_err());
///
/// ing.spec.ingress_class_name = None;
/// ing.metadata.annotations.insert("kubernetes.io/ingress.class".into(), "ours".into());
/// assert!(filter.serves(&ing).is_ok()); // deprecated annotation, field unset
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClassFilter {
    /// `None`: serve everything.
    classes: Option<Vec<String>>,
    /// Values of the deprecated annotation we answer to; `None`: the class names.
    annotation_values: Option<Vec<String>>,
    accept_classless: bool,
}

// === impl ClassFilter ===

impl ClassFilter {
    /// Serve every Ingress, whatever its class (the default).
    pub fn all() -> Self {
        ClassFilter::default()
    }

    /// Serve the Ingresses of these IngressClass names (class-less ones are not served until
    /// [`ClassFilter::accept_classless`]).
    pub fn classes<I, S>(names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        ClassFilter {
            classes: Some(names.into_iter().map(Into::into).collect()),
            annotation_values: None,
            accept_classless: false,
        }
    }

    /// Serve the classes whose `spec.controller` is `controller` (how a controller finds "its"
    /// classes, semantics f.1).
    pub fn for_controller(controller: &str, classes: &[IngressClass]) -> Self {
        ClassFilter::classes(
            classes
                .iter()
                .filter(|c| c.spec.controller.as_deref() == Some(controller))
                .map(|c| c.metadata.name().to_owned()),
        )
    }

    /// The values of the deprecated `kubernetes.io/ingress.class` annotation to answer to
    /// (ingress-nginx: `nginx`). Without this, the annotation is compared with the class names.
    pub fn annotation_values<I, S>(mut self, values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.annotation_values = Some(values.into_iter().map(Into::into).collect());
        self
    }

    /// Whether Ingresses with neither the field nor the annotation are served
    /// (ingress-nginx `--watch-ingress-without-class`).
    pub fn accept_classless(mut self, accept: bool) -> Self {
        self.accept_classless = accept;
        self
    }

    /// `Ok` when the table serves this Ingress, else why not.
    ///
    /// # Errors
    ///
    /// [`NotServed`]: which class the Ingress asks for.
    pub fn serves(&self, ingress: &Ingress) -> Result<(), NotServed> {
        let Some(classes) = &self.classes else {
            return Ok(());
        };
        if let Some(name) = ingress.spec.ingress_class_name.as_deref() {
            return if classes.iter().any(|c| c == name) {
                Ok(())
            } else {
                Err(NotServed::OtherClass(name.to_owned()))
            };
        }
        if let Some(value) = ingress.class_annotation() {
            let ours = self.annotation_values.as_ref().unwrap_or(classes);
            return if ours.iter().any(|c| c == value) {
                Ok(())
            } else {
                Err(NotServed::OtherAnnotation(value.to_owned()))
            };
        }
        if self.accept_classless {
            Ok(())
        } else {
            Err(NotServed::Classless)
        }
    }
}

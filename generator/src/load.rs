//! Loading: finds `bunbase.yaml` and every module file below a contracts folder and reads them into a [`SourceSet`](crate::source::SourceSet).

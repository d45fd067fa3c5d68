//! Serde and OpenAPI for enumerations that have their own lenient `parse` (synonyms, any letter
//! case) and a canonical `as_str`: printed canonically, read with their `parse`, documented
//! with their canonical names.

/// `serde_by_name!(Type, "what", |s| parse(s) -> Option<Type>)`; `Type::NAMES` lists the
/// canonical names.
macro_rules! serde_by_name {
    ($name:ident, $what:literal, $parse:expr) => {
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<$name, D::Error> {
                struct V;
                impl serde::de::Visitor<'_> for V {
                    type Value = $name;
                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        write!(f, "one of: {}", $name::NAMES.join(", "))
                    }
                    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<$name, E> {
                        let parse: fn(&str) -> Option<$name> = $parse;
                        parse(v).ok_or_else(|| {
                            E::custom(crate::values::UnknownName {
                                what: $what,
                                given: v.trim().chars().take(40).collect(),
                                allowed: $name::NAMES,
                            })
                        })
                    }
                }
                d.deserialize_str(V)
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some($name::NAMES.iter().copied()))
                    .description(Some(concat!("A ", $what, " (any letter case is accepted)")))
                    .into()
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for $name {}
    };
}

pub(crate) use serde_by_name;

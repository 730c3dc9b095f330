//! [`text_enum!`]: the one mapping between a domain state and its stable name.
//!
//! Every state kvar stores (case status, legal stage, risk level, role, notice and deadline
//! kinds, audit actions, …) is a fieldless enum declared through this macro, which writes the
//! name table once and derives from it:
//!
//! - `ALL` (declaration order), `as_str`, `parse` (`Option`), `FromStr` (with a unit error type
//!   whose message lists the valid names) and `Display`;
//! - the diesel mapping to a `Text` column for every backend, `MultiBackend` included: written as
//!   the name, read back with an exact match. A stored name that is not in the table is a
//!   deserialization error naming the type and the value, never a default.
//!
//! The columns stay plain text in both schemas (no native PostgreSQL enum types). Serde and
//! utoipa attributes pass through unchanged, so the JSON and OpenAPI names stay whatever the
//! serde attributes say; each enum's tests check that serde agrees with `as_str`.

/// Declare a fieldless enum with a stable text name per variant. See the module docs.
///
/// ```ignore
/// text_enum! {
///     /// Doc comment and extra derives/attributes pass through.
///     #[derive(PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
///     #[serde(rename_all = "snake_case")]
///     pub enum RiskLevel ("risk level", UnknownRiskLevel) {
///         Low => "low",
///         High => "high",
///     }
/// }
/// ```
macro_rules! text_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident ($label:literal, $unknown:ident) {
            $($(#[$vmeta:meta])* $variant:ident => $text:literal,)+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, diesel::expression::AsExpression, diesel::deserialize::FromSqlRow)]
        #[diesel(sql_type = diesel::sql_types::Text)]
        $vis enum $name { $($(#[$vmeta])* $variant,)+ }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: [$name; [$($text),+].len()] = [$($name::$variant,)+];

            /// The stable name used in the API and the database.
            pub const fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text,)+ }
            }

            /// The variant with exactly this name, if any.
            pub fn parse(name: &str) -> Option<Self> {
                Self::ALL.into_iter().find(|v| v.as_str() == name)
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        #[doc = concat!("A string that is not one of the ", $label, " names.")]
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        $vis struct $unknown;

        impl ::std::fmt::Display for $unknown {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(concat!("unknown ", $label, "; expected one of: "))?;
                f.write_str(concat!($($text, ", ",)+).trim_end_matches(", "))
            }
        }

        impl ::std::error::Error for $unknown {}

        impl ::std::str::FromStr for $name {
            type Err = $unknown;

            /// Exact, case-sensitive match on `as_str`.
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s).ok_or($unknown)
            }
        }

        impl<DB> diesel::serialize::ToSql<diesel::sql_types::Text, DB> for $name
        where
            DB: diesel::backend::Backend,
            str: diesel::serialize::ToSql<diesel::sql_types::Text, DB>,
        {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, DB>,
            ) -> diesel::serialize::Result {
                <str as diesel::serialize::ToSql<diesel::sql_types::Text, DB>>::to_sql(
                    self.as_str(),
                    out,
                )
            }
        }

        impl<DB> diesel::deserialize::FromSql<diesel::sql_types::Text, DB> for $name
        where
            DB: diesel::backend::Backend,
            String: diesel::deserialize::FromSql<diesel::sql_types::Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
                let stored =
                    <String as diesel::deserialize::FromSql<diesel::sql_types::Text, DB>>::from_sql(
                        bytes,
                    )?;
                Self::parse(&stored).ok_or_else(|| {
                    format!(
                        "stored {} {:?} is not a {}: {}",
                        $label,
                        stored,
                        stringify!($name),
                        $unknown
                    )
                    .into()
                })
            }
        }
    };
}

pub(crate) use text_enum;

#[cfg(test)]
mod tests {
    use diesel::prelude::*;
    use diesel::sql_types::Text;

    text_enum! {
        /// A test state.
        pub enum Colour ("colour", UnknownColour) {
            Red => "red",
            DarkBlue => "dark_blue",
        }
    }

    #[test]
    fn names_round_trip_and_unknown_lists_the_names() {
        assert_eq!(Colour::ALL, [Colour::Red, Colour::DarkBlue]);
        for c in Colour::ALL {
            assert_eq!(c.as_str().parse::<Colour>(), Ok(c));
            assert_eq!(c.to_string(), c.as_str());
        }
        assert_eq!("Red".parse::<Colour>(), Err(UnknownColour));
        assert_eq!(
            UnknownColour.to_string(),
            "unknown colour; expected one of: red, dark_blue"
        );
    }

    #[test]
    fn the_text_column_round_trips_and_an_unknown_name_is_a_loud_error() {
        let mut conn = SqliteConnection::establish(":memory:").unwrap();
        let back: Colour = diesel::select(Colour::DarkBlue.into_sql::<Text>())
            .get_result(&mut conn)
            .unwrap();
        assert_eq!(back, Colour::DarkBlue);
        let err = diesel::select("purple".into_sql::<Text>())
            .get_result::<Colour>(&mut conn)
            .unwrap_err();
        // diesel's message names the column (here `?`: a bare expression); the cause names the
        // type and the stored value.
        let mut msg = err.to_string();
        let mut source = std::error::Error::source(&err);
        while let Some(e) = source {
            msg.push_str(&format!(": {e}"));
            source = e.source();
        }
        assert!(
            msg.contains("\"purple\"") && msg.contains("Colour"),
            "{msg}"
        );
    }
}

//! CBOR as the reference device writes it: every map and array with
//! indefinite length (`bf … ff`, `9f … ff`, as tinycbor in iotivity-lite
//! does), scalars in their shortest form. Used for what the simulated device
//! sends to its cloud, so that its frames are the real device's byte for
//! byte (tests/vectors/cloud).

use ciborium::Value as Cbor;

/// Encodes `value` with indefinite-length maps and arrays.
pub fn encode_indefinite(value: &Cbor) -> Vec<u8> {
    let mut out = Vec::new();
    write(value, &mut out);
    out
}

fn write(value: &Cbor, out: &mut Vec<u8>) {
    match value {
        Cbor::Map(entries) => {
            out.push(0xbf);
            for (k, v) in entries {
                write(k, out);
                write(v, out);
            }
            out.push(0xff);
        }
        Cbor::Array(items) => {
            out.push(0x9f);
            for item in items {
                write(item, out);
            }
            out.push(0xff);
        }
        Cbor::Tag(tag, inner) => {
            let mut head = Vec::new();
            // The tag head alone: encode a tagged null and drop the null.
            let _ = ciborium::into_writer(&Cbor::Tag(*tag, Box::new(Cbor::Null)), &mut head);
            head.pop();
            out.extend_from_slice(&head);
            write(inner, out);
        }
        scalar => {
            // Writing into a Vec cannot fail.
            let _ = ciborium::into_writer(scalar, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_and_arrays_are_indefinite_scalars_shortest() {
        let value = Cbor::Map(vec![
            (Cbor::Text("ttl".into()), Cbor::Integer(0.into())),
            (
                Cbor::Text("rt".into()),
                Cbor::Array(vec![Cbor::Text("a".into())]),
            ),
            (
                Cbor::Text("ins".into()),
                Cbor::Integer(3_712_143_019u64.into()),
            ),
        ]);
        assert_eq!(
            encode_indefinite(&value),
            [
                &[0xbf, 0x63][..],
                b"ttl",
                &[0x00, 0x62],
                b"rt",
                &[0x9f, 0x61, b'a', 0xff, 0x63],
                b"ins",
                &[0x1a, 0xdd, 0x42, 0xce, 0xab, 0xff],
            ]
            .concat()
        );
    }
}

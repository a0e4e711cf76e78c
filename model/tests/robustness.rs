//! No input bytes — CDB, parameter list, data-out — make the model panic, and every rejection is a
//! well-formed CHECK CONDITION: every INVALID FIELD error carries a field pointer inside the CDB or the
//! parameter list it blames.

mod common;

use common::*;
use offload_model::config::{TargetConfig, UnitConfig};
use offload_model::scsi::{Request, Response, Target};
use offload_scsi::COMMANDS;
use proptest::prelude::*;

fn target(descriptor_sense: bool) -> Target {
    let units = vec![
        UnitConfig { blocks: 2048, block_size: 512, ..UnitConfig::default() },
        UnitConfig { blocks: 256, block_size: 4096, thin: false, ..UnitConfig::default() },
        UnitConfig {
            blocks: 1024,
            block_size: 512,
            write_protected: true,
            bad_blocks: [7].into(),
            ..UnitConfig::default()
        },
    ];
    let mut config = TargetConfig { units, descriptor_sense, ..TargetConfig::default() };
    config.access.grants.insert(OTHER_HOST.to_owned(), [0].into());
    Target::new(config).expect("valid")
}

/// The sense keys of a device server's errors: 2h–7h, COPY ABORTED and MISCOMPARE.
const ERROR_KEYS: [SenseKey; 8] = [
    SenseKey::NOT_READY,
    SenseKey::MEDIUM_ERROR,
    SenseKey::HARDWARE_ERROR,
    SenseKey::ILLEGAL_REQUEST,
    SenseKey::UNIT_ATTENTION,
    SenseKey::DATA_PROTECT,
    SenseKey::COPY_ABORTED,
    SenseKey::MISCOMPARE,
];

/// The checks every response must pass, whatever the input.
fn assert_well_formed(request: &Request, response: &Response) {
    match response.status {
        0 => assert!(response.sense.is_empty()),
        2 => {
            let d = sense_of(response);
            assert!(ERROR_KEYS.contains(&d.key), "sense key {d:?}");
            let invalid_field = [Asc::INVALID_FIELD_IN_CDB, Asc::INVALID_FIELD_IN_PARAMETER_LIST].contains(&d.asc);
            if d.key == SenseKey::ILLEGAL_REQUEST && invalid_field {
                let Some(KeySpecific::Field { in_cdb, byte, bit }) = d.key_specific else {
                    panic!("INVALID FIELD carries a field pointer: {d:?}")
                };
                assert_eq!(
                    in_cdb,
                    d.asc == Asc::INVALID_FIELD_IN_CDB,
                    "C/D says CDB for 24h and parameter list for 26h"
                );
                let bound = if in_cdb { request.cdb.len() } else { request.data_out.len() };
                assert!(usize::from(byte) < bound.max(1), "pointer {byte} beyond {bound} bytes");
                assert!(bit.is_none_or(|b| b < 8));
            }
        }
        other => panic!("status {other:#x}"),
    }
}

/// A CDB that starts with a supported operation code (and service action) so that decoding goes deep,
/// with the remaining bytes arbitrary.
fn cdb() -> impl Strategy<Value = Vec<u8>> {
    (0..COMMANDS.len(), prop::collection::vec(any::<u8>(), 0..20), any::<bool>()).prop_map(|(i, mut rest, keep)| {
        let spec = &COMMANDS[i];
        rest.insert(0, spec.opcode);
        if let (Some(sa), Some(byte)) = (spec.service_action, rest.get_mut(1)) {
            *byte = (*byte & 0xE0) | sa;
        }
        if keep {
            // Clear reserved bits so that field checks beyond the usage mask are reached.
            for (b, mask) in rest.iter_mut().zip(spec.usage).skip(1) {
                *b &= mask;
            }
        }
        rest
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_cdbs_and_data_never_panic(
        cdb in cdb(),
        data in prop::collection::vec(any::<u8>(), 0..1200),
        lun in 0u16..4,
        other in any::<bool>(),
        descriptor in any::<bool>(),
    ) {
        let mut t = target(descriptor);
        let initiator = if other { OTHER_HOST } else { HOST };
        let request = Request { initiator: initiator.to_owned(), lun, cdb, data_out: data };
        let response = t.execute(&request);
        assert_well_formed(&request, &response);
    }

    #[test]
    fn fully_random_bytes_never_panic(cdb in prop::collection::vec(any::<u8>(), 0..24), data in prop::collection::vec(any::<u8>(), 0..64)) {
        let mut t = target(false);
        let request = Request { initiator: HOST.to_owned(), lun: 0, cdb, data_out: data };
        let response = t.execute(&request);
        assert_well_formed(&request, &response);
    }

    /// Valid EXTENDED COPY and UNMAP parameter lists with bytes flipped: the parsers see every shape.
    #[test]
    fn mutated_parameter_lists_never_panic(flips in prop::collection::vec((0usize..200, any::<u8>()), 1..8), truncate in 0usize..200) {
        let mut t = target(false);
        let naa = naa_of(&mut t, 0);
        let mut list = copy_list(1, 0, &[cscd(&naa, 512), cscd(&naa, 512)], &[segment(0, 1, 4, 0, 100), segment(1, 0, 2, 50, 60)]);
        let mut unmap_params = unmap_list(&[(0, 8), (100, 4), (2040, 8)]);
        for (at, value) in &flips {
            let n = list.len();
            list[at % n] ^= value;
            let n = unmap_params.len();
            unmap_params[at % n] ^= value;
        }
        list.truncate(list.len().min(truncate.max(1) + 16));
        for (cdb, data) in [(extended_copy(list.len() as u32), list.clone()), (extended_copy(200), list), (unmap(false, unmap_params.len() as u16), unmap_params)] {
            let request = Request { initiator: HOST.to_owned(), lun: 0, cdb, data_out: data };
            let response = t.execute(&request);
            assert_well_formed(&request, &response);
        }
    }
}

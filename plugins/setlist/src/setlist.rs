//! The setlist file (`setlist.json` in the plugin's data directory) and the
//! MIDI messages a song needs.
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Setlist {
    /// Default MIDI channel (1-16) for songs that do not name one.
    #[serde(default = "default_channel")]
    pub channel: u8,
    pub songs: Vec<Song>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Song {
    pub name: String,
    #[serde(default)]
    pub channel: Option<u8>,
    /// Bank select sent before the program change (CC 0 and CC 32).
    #[serde(default)]
    pub bank_msb: Option<u8>,
    #[serde(default)]
    pub bank_lsb: Option<u8>,
    /// Program change, 0-127 as sent on the wire.
    #[serde(default)]
    pub program: Option<u8>,
    /// Control changes sent after the program change, in order.
    #[serde(default)]
    pub cc: Vec<Cc>,
    /// midimon mode to switch to (by name).
    #[serde(default)]
    pub mode: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cc {
    pub cc: u8,
    pub value: u8,
}

fn default_channel() -> u8 {
    1
}

impl Setlist {
    /// Checks ranges so a bad file is reported instead of sending garbage.
    pub fn validate(&self) -> Result<(), String> {
        if self.songs.is_empty() {
            return Err("songs: empty".into());
        }
        if !(1..=16).contains(&self.channel) {
            return Err("channel: must be 1-16".into());
        }
        for (i, s) in self.songs.iter().enumerate() {
            let bad = |field: &str, why: &str| Err(format!("songs[{}].{}: {}", i, field, why));
            if let Some(c) = s.channel {
                if !(1..=16).contains(&c) {
                    return bad("channel", "must be 1-16");
                }
            }
            for (field, v) in [("bank_msb", s.bank_msb), ("bank_lsb", s.bank_lsb), ("program", s.program)] {
                if v.map_or(false, |v| v > 127) {
                    return bad(field, "must be 0-127");
                }
            }
            for c in &s.cc {
                if c.cc > 127 || c.value > 127 {
                    return bad("cc", "cc and value must be 0-127");
                }
            }
        }
        Ok(())
    }

    /// Finds a song by name, ignoring ASCII case.
    pub fn find(&self, name: &str) -> Option<usize> {
        self.songs.iter().position(|s| s.name.eq_ignore_ascii_case(name))
    }

    /// The MIDI messages for a song, one per entry, in sending order.
    pub fn messages(&self, index: usize) -> Vec<Vec<u8>> {
        let song = &self.songs[index];
        let ch = song.channel.unwrap_or(self.channel) - 1;
        let mut out = Vec::new();
        if let Some(msb) = song.bank_msb {
            out.push(vec![0xB0 | ch, 0, msb]);
        }
        if let Some(lsb) = song.bank_lsb {
            out.push(vec![0xB0 | ch, 32, lsb]);
        }
        if let Some(p) = song.program {
            out.push(vec![0xC0 | ch, p]);
        }
        for c in &song.cc {
            out.push(vec![0xB0 | ch, c.cc, c.value]);
        }
        out
    }
}

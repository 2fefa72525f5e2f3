// Rewrites naudiodon's binding.gyp so that the PortAudio library it links fits the
// target. As published (2.3.6), every Linux target that is not 32-bit ARM takes the
// x86-64 branch and links the bundled x86-64 libportaudio, so a build for 64-bit
// Raspberry Pi OS fails ("file in wrong format"); the bundled armhf library is a
// prebuilt of unknown ALSA vintage. After this rewrite:
//   x64                       -> the bundled library, exactly as before
//   arm64, arm (armhf), other -> the system's PortAudio (-lportaudio; portaudio19-dev
//                                to build, libportaudio2 at run time)
// The gyp variable `naudiodon_portaudio` ("bundled" | "system") overrides the choice,
// e.g. `node-gyp rebuild --naudiodon-portaudio=system` on x86-64.

/** First line of a rewritten file; its presence makes the rewrite idempotent. */
export const MARKER = '# intercom: PortAudio chosen per architecture (scripts/naudiodon-build)';

/** Parses gyp's Python-literal syntax for the subset naudiodon uses (comments, quotes, trailing commas). */
export function parseGyp(text) {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '#') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      let s = '';
      while (j < text.length && text[j] !== c) {
        if (text[j] === '\\') {
          s += text[j + 1];
          j += 2;
        } else s += text[j++];
      }
      out += JSON.stringify(s);
      i = j + 1;
    } else {
      out += c;
      i++;
    }
  }
  // Trailing commas before a closing bracket are legal in Python, not in JSON.
  return JSON.parse(out.replace(/,(\s*[\]}])/g, '$1'));
}

const CXX_FLAGS = {
  'cflags_cc!': ['-fno-rtti', '-fno-exceptions'],
  cflags_cc: ['-std=c++11', '-fexceptions'],
};

/** The Linux part of the rewritten binding: bundled x86-64 library or the system's. */
function linuxConditions() {
  const bundled = {
    ...CXX_FLAGS,
    link_settings: {
      libraries: ['<@(module_root_dir)/build/Release/libportaudio.so.2'],
      ldflags: ['-L<@(module_root_dir)/build/Release', '-Wl,-rpath,<@(module_root_dir)/build/Release'],
    },
    copies: [{ destination: 'build/Release/', files: ['<@(module_root_dir)/portaudio/bin/libportaudio.so.2'] }],
  };
  const system = {
    ...CXX_FLAGS,
    // The system's own header, not the bundled copy, so header and library match.
    'include_dirs!': ['portaudio/include'],
    link_settings: { libraries: ['-lportaudio'] },
  };
  return [['naudiodon_portaudio=="bundled"', bundled, system]];
}

/** Returns the binding.gyp text with the Linux branch rewritten; throws if the layout is not the expected one. */
export function rewriteBinding(text) {
  if (text.startsWith(MARKER)) return text;
  const gyp = parseGyp(text);
  const target = gyp.targets?.find((t) => t.target_name === 'naudiodon');
  if (!target || !Array.isArray(target.conditions)) throw new Error('binding.gyp: no naudiodon target with conditions');
  const linux = target.conditions.find((c) => Array.isArray(c) && c[0] === 'OS=="linux"');
  if (!linux || !Array.isArray(linux[1]?.conditions)) throw new Error('binding.gyp: no OS=="linux" branch to rewrite');
  const archBranch = linux[1].conditions.find((c) => Array.isArray(c) && c[0] === 'target_arch=="arm"');
  if (!archBranch) throw new Error('binding.gyp: the Linux branch does not choose by target_arch=="arm" (unknown naudiodon version)');
  linux[1].conditions = linuxConditions();
  // Default by architecture; a value given on the command line or in config.gypi wins (the %).
  target.variables = {
    ...target.variables,
    conditions: [['target_arch=="x64"', { 'naudiodon_portaudio%': 'bundled' }, { 'naudiodon_portaudio%': 'system' }]],
  };
  return `${MARKER}\n${JSON.stringify(gyp, null, 2)}\n`;
}

// Product pictures drawn as inline SVG from the catalogue's `art` entry ({ kind, background, color, accent }):
// the page needs no image files and no network. Colours must be #rgb or #rrggbb (anything else falls back),
// because they are written into markup.
const HEX = /^#(?:[0-9a-f]{3}){1,2}$/i;
const pick = (value, fallback) => (typeof value === 'string' && HEX.test(value) ? value : fallback);

const SHAPES = {
  mug: (c, a) => `
    <ellipse cx="100" cy="122" rx="52" ry="7" fill="#0001"/>
    <path d="M62 44h62v62a14 14 0 0 1-14 14H76a14 14 0 0 1-14-14z" fill="${c}"/>
    <path d="M124 58h8a16 16 0 0 1 0 32h-8" fill="none" stroke="${c}" stroke-width="9"/>
    <rect x="62" y="44" width="62" height="10" fill="${a}"/>
    <path d="M82 24c-6 6 6 10 0 16M100 22c-6 6 6 10 0 16" stroke="${c}" stroke-width="3" fill="none" opacity=".45"
      stroke-linecap="round"/>`,
  notebook: (c, a) => `
    <ellipse cx="100" cy="124" rx="58" ry="6" fill="#0001"/>
    <rect x="58" y="34" width="70" height="88" rx="6" fill="${a}" transform="rotate(-8 93 78)"/>
    <rect x="68" y="30" width="70" height="90" rx="6" fill="${c}"/>
    <rect x="80" y="30" width="5" height="90" fill="#0002"/>
    <rect x="96" y="52" width="30" height="18" rx="3" fill="#fff" opacity=".85"/>`,
  book: (c, a) => `
    <ellipse cx="100" cy="126" rx="50" ry="6" fill="#0001"/>
    <rect x="66" y="24" width="70" height="98" rx="4" fill="${c}"/>
    <rect x="66" y="24" width="9" height="98" fill="#0003"/>
    <rect x="84" y="44" width="42" height="5" rx="2" fill="${a}"/>
    <rect x="84" y="55" width="30" height="4" rx="2" fill="#fff" opacity=".7"/>
    <circle cx="105" cy="90" r="12" fill="none" stroke="${a}" stroke-width="3"/>`,
  lamp: (c, a) => `
    <ellipse cx="100" cy="128" rx="46" ry="6" fill="#0001"/>
    <path d="M118 46l34 34" stroke="${a}" stroke-width="30" opacity=".25" stroke-linecap="round"/>
    <rect x="70" y="116" width="46" height="9" rx="4" fill="${c}"/>
    <path d="M92 118L80 76l32-30" fill="none" stroke="${c}" stroke-width="7" stroke-linecap="round"
      stroke-linejoin="round"/>
    <path d="M104 34l30 6-8 28z" fill="${c}"/>
    <circle cx="126" cy="60" r="6" fill="${a}"/>`,
  headphones: (c, a) => `
    <ellipse cx="100" cy="126" rx="50" ry="6" fill="#0001"/>
    <path d="M58 92V76a42 42 0 0 1 84 0v16" fill="none" stroke="${c}" stroke-width="9" stroke-linecap="round"/>
    <rect x="48" y="82" width="24" height="38" rx="10" fill="${c}"/>
    <rect x="128" y="82" width="24" height="38" rx="10" fill="${c}"/>
    <rect x="64" y="88" width="10" height="26" rx="4" fill="${a}"/>
    <rect x="126" y="88" width="10" height="26" rx="4" fill="${a}"/>`,
  plant: (c, a) => `
    <ellipse cx="100" cy="128" rx="44" ry="6" fill="#0001"/>
    <path d="M100 92C70 88 58 64 66 44c18 6 30 22 34 48zM100 92c28-6 40-28 34-50-18 8-30 24-34 50z" fill="${c}"/>
    <path d="M100 92c-4-26 2-50 14-66 8 22 2 46-14 66z" fill="${c}" opacity=".8"/>
    <path d="M74 92h52l-6 34H80z" fill="${a}"/>
    <rect x="70" y="88" width="60" height="8" rx="3" fill="${a}" stroke="#0001"/>`,
  box: (c, a) => `
    <ellipse cx="100" cy="126" rx="50" ry="6" fill="#0001"/>
    <rect x="58" y="48" width="84" height="74" rx="4" fill="${c}"/>
    <rect x="58" y="48" width="84" height="16" fill="#0002"/>
    <rect x="94" y="48" width="12" height="74" fill="${a}"/>`,
};

/** The SVG markup for a product picture; decorative (the product name is next to it). */
export function productArt(art = {}) {
  const draw = SHAPES[art.kind] ?? SHAPES.box;
  const background = pick(art.background, '#eef0f4');
  return `<svg viewBox="0 0 200 150" aria-hidden="true" focusable="false" xmlns="http://www.w3.org/2000/svg">
    <rect width="200" height="150" fill="${background}"/>
    ${draw(pick(art.color, '#455266'), pick(art.accent, '#e0a526'))}
  </svg>`;
}

/**
 * Generated "dog photos" for the demo set: a drawn dog (body, head, ears, legs,
 * tail) in its breed's coat colours and markings, in a scene (park, room, beach,
 * snow, street), at a random place, size and direction, with lighting jitter and
 * pixel noise. Photos of one breed look alike, so even the tiny random model
 * groups them somewhat. Seeded: the same bytes on every run (sharp renders the
 * SVG and encodes the JPEG; no fonts are involved).
 *
 * @example
 * const { jpeg, box, width, height } = await dogPhoto(DEMO_BREEDS[0], 42);
 */
import sharp from 'sharp';
import { rng } from '../synthetic';

export type Ears = 'up' | 'floppy' | 'bat';
export type Marking = 'none' | 'saddle' | 'patches' | 'mask' | 'points' | 'chest';
export type Tail = 'up' | 'curl' | 'down' | 'stub';

/** How a breed is drawn. */
export interface BreedStyle {
  /** The WordNet id of the breed's Stanford Dogs folder, e.g. n02088364. */
  wnid: string;
  /** The breed as Stanford Dogs' annotation names it, e.g. "beagle". */
  name: string;
  coat: string;
  second: string;
  marking: Marking;
  ears: Ears;
  tail: Tail;
  /** Relative size (1 = a retriever). */
  size: number;
  /** Leg length relative to the body's height. */
  legs: number;
  /** Fluffy coats get a soft outline. */
  fluffy: boolean;
  /** The scene this breed is most often photographed in (index into SCENES). */
  scene: number;
}

/** Twelve real Stanford Dogs breeds (folder ids and names as in the dataset), drawn in their usual colours. */
export const DEMO_BREEDS: BreedStyle[] = [
  {
    wnid: 'n02085620',
    name: 'Chihuahua',
    coat: '#d8b07a',
    second: '#f4eadb',
    marking: 'chest',
    ears: 'up',
    tail: 'up',
    size: 0.55,
    legs: 0.9,
    fluffy: false,
    scene: 1,
  },
  {
    wnid: 'n02085936',
    name: 'Maltese_dog',
    coat: '#f2eee6',
    second: '#e6ddcc',
    marking: 'none',
    ears: 'floppy',
    tail: 'curl',
    size: 0.55,
    legs: 0.6,
    fluffy: true,
    scene: 1,
  },
  {
    wnid: 'n02088364',
    name: 'beagle',
    coat: '#f3efe6',
    second: '#8a5a2b',
    marking: 'patches',
    ears: 'floppy',
    tail: 'up',
    size: 0.75,
    legs: 0.8,
    fluffy: false,
    scene: 0,
  },
  {
    wnid: 'n02099601',
    name: 'golden_retriever',
    coat: '#d49a3a',
    second: '#e8bf73',
    marking: 'none',
    ears: 'floppy',
    tail: 'down',
    size: 1.0,
    legs: 0.9,
    fluffy: true,
    scene: 0,
  },
  {
    wnid: 'n02099712',
    name: 'Labrador_retriever',
    coat: '#2a2624',
    second: '#3a3431',
    marking: 'none',
    ears: 'floppy',
    tail: 'down',
    size: 1.0,
    legs: 0.9,
    fluffy: false,
    scene: 2,
  },
  {
    wnid: 'n02106662',
    name: 'German_shepherd',
    coat: '#b57b3a',
    second: '#1e1a18',
    marking: 'saddle',
    ears: 'up',
    tail: 'down',
    size: 1.05,
    legs: 1.0,
    fluffy: false,
    scene: 4,
  },
  {
    wnid: 'n02107142',
    name: 'Doberman',
    coat: '#1c1816',
    second: '#9a5426',
    marking: 'points',
    ears: 'up',
    tail: 'stub',
    size: 1.1,
    legs: 1.25,
    fluffy: false,
    scene: 4,
  },
  {
    wnid: 'n02108915',
    name: 'French_bulldog',
    coat: '#c9a57a',
    second: '#2e2724',
    marking: 'mask',
    ears: 'bat',
    tail: 'stub',
    size: 0.6,
    legs: 0.55,
    fluffy: false,
    scene: 1,
  },
  {
    wnid: 'n02110185',
    name: 'Siberian_husky',
    coat: '#858c96',
    second: '#f2f2f2',
    marking: 'chest',
    ears: 'up',
    tail: 'curl',
    size: 1.0,
    legs: 1.0,
    fluffy: true,
    scene: 3,
  },
  {
    wnid: 'n02110958',
    name: 'pug',
    coat: '#d8b98a',
    second: '#2b2522',
    marking: 'mask',
    ears: 'floppy',
    tail: 'curl',
    size: 0.55,
    legs: 0.6,
    fluffy: false,
    scene: 1,
  },
  {
    wnid: 'n02113023',
    name: 'Pembroke',
    coat: '#c8702e',
    second: '#f5efe4',
    marking: 'chest',
    ears: 'up',
    tail: 'stub',
    size: 0.7,
    legs: 0.45,
    fluffy: false,
    scene: 0,
  },
  {
    wnid: 'n02111889',
    name: 'Samoyed',
    coat: '#faf8f2',
    second: '#ece6da',
    marking: 'none',
    ears: 'up',
    tail: 'curl',
    size: 1.0,
    legs: 0.9,
    fluffy: true,
    scene: 3,
  },
];

/** Backgrounds: an upper part (sky or wall) and the ground. */
export const SCENES: Array<{ name: string; upper: string; ground: string; props: string[] }> = [
  { name: 'park', upper: '#9cc6e8', ground: '#5f8f3e', props: ['#3f6b2a', '#7aa24f'] },
  { name: 'room', upper: '#d9cbb4', ground: '#8b6b4a', props: ['#6d5844', '#b89f7e'] },
  { name: 'beach', upper: '#b8d8ef', ground: '#e3cf9c', props: ['#4f86b5', '#c9b27c'] },
  { name: 'snow', upper: '#c9d3dd', ground: '#f0f2f5', props: ['#6f7f8f', '#dfe5ea'] },
  { name: 'street', upper: '#a3a3a3', ground: '#555555', props: ['#7a7a7a', '#3d3d3d'] },
];

function hex(c: string): [number, number, number] {
  return [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16)) as [number, number, number];
}

/** A colour moved by up to `amount` (0..255) per channel, and scaled by `light`. */
function jitter(c: string, random: () => number, amount: number, light = 1): string {
  return (
    '#' +
    hex(c)
      .map((v) => {
        const x = Math.round(Math.max(0, Math.min(255, (v + (random() * 2 - 1) * amount) * light)));
        return x.toString(16).padStart(2, '0');
      })
      .join('')
  );
}

export interface DogPhoto {
  jpeg: Buffer;
  width: number;
  height: number;
  /** The dog's bounding box in pixels (as Stanford Dogs' annotations give it). */
  box: { xmin: number; ymin: number; xmax: number; ymax: number };
  /** 'Left' or 'Right' (where the dog looks), or 'Unspecified'. */
  pose: string;
}

const f = (x: number) => x.toFixed(3);

/**
 * The dog, facing right, in its own units: body centre at (0, 0), body 2 wide;
 * feet at y = 0.25 + legs * 0.6. Returns SVG elements.
 */
function dogShapes(b: BreedStyle, coat: string, second: string, dark: string, random: () => number): string {
  const legLen = 0.6 * b.legs;
  const bodyRy = 0.42 + random() * 0.06;
  const shapes: string[] = [];
  const stroke = b.fluffy
    ? ` stroke="${coat}" stroke-width="0.09" stroke-linejoin="round" stroke-dasharray="0.05 0.04"`
    : '';
  const legColour = b.marking === 'points' ? second : coat;
  // Tail behind the body.
  const tails: Record<Tail, string> = {
    up: 'M -0.9 -0.15 Q -1.25 -0.55 -1.15 -0.95',
    curl: 'M -0.85 -0.25 Q -1.3 -0.8 -0.75 -0.75',
    down: 'M -0.95 -0.05 Q -1.3 0.2 -1.2 0.55',
    stub: 'M -0.95 -0.15 L -1.1 -0.3',
  };
  shapes.push(
    `<path d="${tails[b.tail]}" fill="none" stroke="${coat}" stroke-width="${b.fluffy ? 0.22 : 0.12}" stroke-linecap="round"/>`,
  );
  // Far legs (darker), body, near legs.
  for (const x of [-0.55, 0.6])
    shapes.push(
      `<rect x="${f(x)}" y="0.1" width="0.17" height="${f(legLen + 0.15)}" rx="0.07" fill="${jitter(legColour, random, 0, 0.82)}"/>`,
    );
  shapes.push(`<ellipse cx="0" cy="0" rx="1" ry="${f(bodyRy)}" fill="${coat}"${stroke}/>`);
  for (const x of [-0.75, 0.4])
    shapes.push(`<rect x="${f(x)}" y="0.1" width="0.18" height="${f(legLen + 0.15)}" rx="0.07" fill="${legColour}"/>`);
  if (b.marking === 'saddle')
    shapes.push(`<ellipse cx="-0.1" cy="-0.17" rx="0.78" ry="${f(bodyRy * 0.62)}" fill="${second}"/>`);
  if (b.marking === 'patches') {
    shapes.push(`<ellipse cx="-0.15" cy="-0.12" rx="0.6" ry="0.3" fill="#2a2220"/>`);
    for (let i = 0; i < 3; i++) {
      shapes.push(
        `<circle cx="${f(-0.6 + random() * 1.1)}" cy="${f(-0.1 + random() * 0.3)}" r="${f(0.12 + random() * 0.12)}" fill="${second}"/>`,
      );
    }
  }
  if (b.marking === 'chest')
    shapes.push(`<ellipse cx="0.72" cy="0.08" rx="0.3" ry="${f(bodyRy * 0.8)}" fill="${second}"/>`);
  // Neck and head.
  shapes.push(`<ellipse cx="0.82" cy="-0.35" rx="0.28" ry="0.36" fill="${coat}"/>`);
  const hx = 1.05;
  const hy = -0.62;
  const ears: Record<Ears, string> = {
    up: `<path d="M ${hx - 0.25} ${hy - 0.2} L ${hx - 0.12} ${hy - 0.72} L ${hx + 0.08} ${hy - 0.28} Z" fill="${coat}"/>`,
    floppy: `<ellipse cx="${hx - 0.22}" cy="${hy + 0.05}" rx="0.14" ry="0.33" fill="${b.marking === 'patches' || b.marking === 'mask' ? second : jitter(coat, random, 0, 0.8)}" transform="rotate(12 ${hx - 0.22} ${hy + 0.05})"/>`,
    bat: `<path d="M ${hx - 0.32} ${hy - 0.1} Q ${hx - 0.45} ${hy - 0.75} ${hx - 0.05} ${hy - 0.3} Z M ${hx + 0.02} ${hy - 0.28} Q ${hx + 0.15} ${hy - 0.8} ${hx + 0.25} ${hy - 0.18} Z" fill="${coat}"/>`,
  };
  if (b.ears !== 'floppy') shapes.push(ears[b.ears]);
  shapes.push(`<circle cx="${hx}" cy="${hy}" r="0.38" fill="${coat}"${stroke}/>`);
  if (b.ears === 'floppy') shapes.push(ears.floppy);
  const snout = b.marking === 'mask' || b.marking === 'points' ? second : b.marking === 'chest' ? second : coat;
  const snoutLen = b.marking === 'mask' ? 0.2 : 0.3;
  shapes.push(
    `<ellipse cx="${f(hx + 0.28 + snoutLen / 2)}" cy="${hy + 0.12}" rx="${f(snoutLen)}" ry="0.17" fill="${snout}"/>`,
  );
  if (b.marking === 'mask')
    shapes.push(`<circle cx="${hx + 0.12}" cy="${hy - 0.02}" r="0.2" fill="${second}" opacity="0.9"/>`);
  shapes.push(`<circle cx="${f(hx + 0.3 + snoutLen)}" cy="${hy + 0.07}" r="0.065" fill="${dark}"/>`);
  shapes.push(`<circle cx="${hx + 0.15}" cy="${hy - 0.1}" r="0.05" fill="${dark}"/>`);
  return shapes.join('');
}

/**
 * One photo of a breed, from a seed: scene (mostly the breed's usual one), the
 * dog's place, size and direction, colours, lighting and noise all follow from it.
 */
export async function dogPhoto(b: BreedStyle, seed: number): Promise<DogPhoto> {
  const random = rng(seed);
  const width = 2 * Math.round(150 + random() * 60);
  const height = Math.round(width * (0.68 + random() * 0.12));
  const sceneIndex = random() < 0.7 ? b.scene : Math.floor(random() * SCENES.length);
  const scene = SCENES[sceneIndex];
  const light = 0.85 + random() * 0.3;
  const horizon = height * (0.4 + random() * 0.2);
  const parts: string[] = [];
  parts.push(`<rect width="${width}" height="${height}" fill="${jitter(scene.upper, random, 14, light)}"/>`);
  parts.push(
    `<rect y="${f(horizon)}" width="${width}" height="${f(height - horizon)}" fill="${jitter(scene.ground, random, 14, light)}"/>`,
  );
  for (let i = 0, n = Math.floor(random() * 4); i < n; i++) {
    const prop = scene.props[Math.floor(random() * scene.props.length)];
    parts.push(
      `<ellipse cx="${f(random() * width)}" cy="${f(horizon - random() * height * 0.2)}" rx="${f(width * (0.05 + random() * 0.12))}" ry="${f(height * (0.04 + random() * 0.1))}" fill="${jitter(prop, random, 16, light)}"/>`,
    );
  }

  // The dog: about half the photo's width for a retriever, less for small breeds.
  const legLen = 0.6 * b.legs;
  const units = { left: -1.3, right: 1.72, top: -1.38, bottom: 0.25 + legLen };
  const wantWidth = width * Math.min(0.92, (0.5 + random() * 0.25) * (0.55 + 0.45 * b.size) * 1.4);
  const s = wantWidth / (units.right - units.left);
  const facing = random() < 0.5 ? 1 : -1;
  const dogW = (units.right - units.left) * s;
  const feetY = Math.min(height - 2, horizon + (height - horizon) * (0.45 + random() * 0.5));
  const minX = Math.max(0, Math.min(width - dogW, random() * (width - dogW)));
  // Where the body's centre lands so that the box starts at minX (mirrored when facing left).
  const cx = facing === 1 ? minX - units.left * s : minX + units.right * s;
  const cy = feetY - units.bottom * s;
  const coat = jitter(b.coat, random, 12, light);
  const second = jitter(b.second, random, 12, light);
  const dark = jitter('#1a1512', random, 6, light);
  parts.push(
    `<g transform="translate(${f(cx)} ${f(cy)}) scale(${f(s * facing)} ${f(s)})">${dogShapes(b, coat, second, dark, random)}</g>`,
  );
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${parts.join('')}</svg>`;

  const { data } = await sharp(Buffer.from(svg)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  // Sensor noise: the sum of two uniforms, about +-14 levels.
  for (let i = 0; i < data.length; i++) {
    const v = data[i] + (random() + random() - 1) * 14;
    data[i] = Math.min(255, Math.max(0, v));
  }
  const jpeg = await sharp(data, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 85 })
    .toBuffer();
  const clamp = (v: number, hi: number) => Math.max(0, Math.min(hi, Math.round(v)));
  const box = {
    xmin: clamp(minX, width - 1),
    ymin: clamp(cy + units.top * s, height - 1),
    xmax: clamp(minX + dogW, width - 1),
    ymax: clamp(cy + units.bottom * s, height - 1),
  };
  const pose = random() < 0.2 ? 'Unspecified' : facing === 1 ? 'Right' : 'Left';
  return { jpeg, width, height, box, pose };
}

/** The PASCAL VOC annotation Stanford Dogs ships for each photo. */
export function annotationXml(b: BreedStyle, stem: string, photo: DogPhoto): string {
  const { xmin, ymin, xmax, ymax } = photo.box;
  return `<annotation>
\t<folder>${b.wnid.slice(1)}</folder>
\t<filename>${stem}</filename>
\t<source>
\t\t<database>vector-search-lab demo set (generated)</database>
\t</source>
\t<size>
\t\t<width>${photo.width}</width>
\t\t<height>${photo.height}</height>
\t\t<depth>3</depth>
\t</size>
\t<segment>0</segment>
\t<object>
\t\t<name>${b.name}</name>
\t\t<pose>${photo.pose}</pose>
\t\t<truncated>0</truncated>
\t\t<difficult>0</difficult>
\t\t<bndbox>
\t\t\t<xmin>${xmin}</xmin>
\t\t\t<ymin>${ymin}</ymin>
\t\t\t<xmax>${xmax}</xmax>
\t\t\t<ymax>${ymax}</ymax>
\t\t</bndbox>
\t</object>
</annotation>
`;
}

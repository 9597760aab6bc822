/** Where fulfill keeps a project's state: `.fulfill/local/<stage>/` (local target), `.fulfill/aws/<stage>.json` (cache). */
export const STATE_DIR = '.fulfill';

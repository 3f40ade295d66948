/**
 * A tunnel kind: one file under `src/shared/tunnels/`, listed once in `index.ts`.
 * Nothing else in the code switches on a kind's id.
 */
import type { z } from 'zod';
import type { Shape } from '../schema.js';

export type Layer = 'L2' | 'L3';

export interface TunnelKind<Options = Record<string, unknown>> {
  /** Stable id used in `overlab.yaml` (`links[].kind`), e.g. `wireguard`. */
  readonly id: string;
  readonly label: string;
  readonly layer: Layer;
  readonly encrypted: boolean;
  /** Shapes the kind carries natively; others are expanded into point-to-point links or refused. */
  readonly shapes: readonly Shape[];
  /** The kind's options with their defaults; `{}` must parse. */
  readonly options: z.ZodType<Options>;
}

/** The list of kinds a caller works with. Tests build their own. */
export interface Registry {
  readonly kinds: readonly TunnelKind[];
}

export function lookupKind(registry: Registry, id: string): TunnelKind | string {
  const kind = registry.kinds.find((k) => k.id === id);
  if (kind) return kind;
  return `unknown tunnel kind "${id}"; supported kinds: ${registry.kinds.map((k) => k.id).join(', ')}`;
}

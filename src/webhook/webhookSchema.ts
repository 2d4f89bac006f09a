import { z } from "zod";

/**
 * Identifiers we index (phone number ids, wamids, wa_ids, user ids) are short in Meta's payloads
 * (15–70 characters); a huge one cannot be indexed by PostgreSQL (a btree row tops out near 2.7 kB),
 * so it would fail the whole batch and Meta would re-deliver it forever. Bounded here, a change
 * carrying one is stored raw as unrecognised and acknowledged.
 */
const id = z.string().max(256);

/**
 * Lenient schemas for Meta's webhook envelope: only the fields we route on are required, and every
 * object keeps unknown keys, because Meta adds fields without notice and nothing may be dropped.
 */
export const changeSchema = z.looseObject({
  field: z.string(),
  value: z.unknown(),
});

export const envelopeSchema = z.looseObject({
  object: z.string(),
  entry: z.array(
    z.looseObject({
      id: z.string().optional(),
      time: z.number().optional(),
      changes: z.array(z.unknown()).default([]),
    }),
  ),
});

export const metadataSchema = z.looseObject({
  display_phone_number: z.string().optional(),
  phone_number_id: id,
});

export const contactSchema = z.looseObject({
  profile: z.looseObject({ name: z.string().optional() }).optional(),
  wa_id: id.optional(),
  user_id: id.optional(),
});

export const messageSchema = z.looseObject({
  id: id.min(1),
  type: z.string().min(1).max(64),
  timestamp: z.string().optional(),
  from: id.optional(),
  from_user_id: id.optional(),
  text: z.looseObject({ body: z.string() }).optional(),
  button: z.looseObject({ text: z.string().optional(), payload: z.string().optional() }).optional(),
  interactive: z
    .looseObject({
      type: z.string().optional(),
      button_reply: z.looseObject({ id: z.string(), title: z.string() }).optional(),
      list_reply: z.looseObject({ id: z.string(), title: z.string() }).optional(),
    })
    .optional(),
  image: z.looseObject({ caption: z.string().optional() }).optional(),
  document: z.looseObject({ caption: z.string().optional() }).optional(),
  video: z.looseObject({ caption: z.string().optional() }).optional(),
});

export const statusSchema = z.looseObject({
  id: id.min(1),
  status: z.string().min(1).max(64),
  timestamp: z.string().optional(),
  recipient_id: id.optional(),
  biz_opaque_callback_data: z.string().optional(),
  errors: z.array(z.unknown()).optional(),
});

export const messagesValueSchema = z.looseObject({
  metadata: metadataSchema,
  contacts: z.array(contactSchema).optional(),
  messages: z.array(z.unknown()).optional(),
  statuses: z.array(z.unknown()).optional(),
  errors: z.array(z.unknown()).optional(),
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { describeReply } from "../../scripts/describeReply.ts";

test("npm run send shows replies as the phone does: text, buttons, list rows, templates", () => {
  assert.equal(describeReply({ type: "text", text: { body: "Olá!" } }), "Olá!");
  assert.equal(
    describeReply({
      type: "interactive",
      interactive: {
        type: "button",
        body: { text: "A conta está no seu nome?" },
        action: {
          buttons: [
            { type: "reply", reply: { id: "sim", title: "Sim" } },
            { type: "reply", reply: { id: "nao", title: "Não" } },
          ],
        },
      },
    }),
    "A conta está no seu nome?\n[Sim] [Não]",
  );
  assert.equal(
    describeReply({
      type: "interactive",
      interactive: {
        type: "list",
        body: { text: "Qual o tipo?" },
        action: {
          button: "Escolher",
          sections: [
            {
              rows: [
                { id: "casa", title: "Casa" },
                { id: "loja", title: "Comércio" },
              ],
            },
          ],
        },
      },
    }),
    "Qual o tipo?\n[Escolher]\n  • Casa\n  • Comércio",
  );
  assert.equal(
    describeReply({
      type: "template",
      template: {
        name: "lembrete_conta_de_luz",
        components: [{ type: "body", parameters: [{ type: "text", text: "Ana" }] }],
      },
    }),
    "(template lembrete_conta_de_luz: Ana)",
  );
  assert.equal(describeReply({ type: "image", image: { id: "1" } }), "(image)");
});

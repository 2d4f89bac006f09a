import { createRequire } from "node:module";
import { z } from "zod";
import { foldWord } from "./tokenize.ts";

/**
 * Words that never continue a name: Portuguese and English function words (the stopwords-iso
 * lists, MIT) and the verbs a sentence goes on with after a name ("Rafael e sou do Rio", "João
 * moro em…"). Surnames that are also words (Dias, Luz, Pessoa, Costa) are not here.
 */
export const NOT_NAME_CONTINUATION: ReadonlySet<string> = new Set([
  ...stopwords(),
  ...words(`moro moramos resido vivo trabalho estou to sou somos tenho quero queria gostaria preciso vi
    vim pode podem poderia consigo`),
]);

/**
 * Words that are never a name's first word: besides the above, the words customers open a
 * conversation with — greetings, thanks, intents and what they saw ("tenho interesse", "vi o
 * anúncio", "quero saber mais", "hello, this is…").
 */
export const NOT_NAME_WORDS: ReadonlySet<string> = new Set([
  ...NOT_NAME_CONTINUATION,
  ...words(`oi ola oie opa eai salve hey hello hi alo bom boa bons boas dia tarde noite obrigado obrigada
    obg brigado valeu vlw beleza blz tranquilo show top certo ok okay sim nao claro interesse interessado
    interessada interessados anuncio propaganda instagram facebook insta face site google youtube tiktok
    whatsapp zap saber informacao informacoes info duvida duvidas pergunta desconto energia solar conta
    luz valor preco orcamento assinatura plano planos economia economizar fala falar conversar ajuda
    atendente humano pessoa robo bot teste testando mensagem body text message test please thanks
    cliente morador moradora casada casado aposentado aposentada cidade estado bairro rua prazer
    casa apartamento empresa loja comercio sitio fazenda chacara residencia imovel
    dono proprietario proprietaria responsavel titular sindico sindica gerente socio socia inquilino
    inquilina filho filha marido esposa esposo mae pai dela dele
    hein ue uai vixe eita nossa aff afe oxe oxi oxente tche bah ixi poxa putz epa ops oba eba legal
    show valeu blz ata entendi perfeito otimo massa top dahora beleza combinado cara moco moca mano
    amigo amiga senhorita`),
]);

function words(list: string): string[] {
  return list.split(/\s+/).filter(Boolean);
}

function stopwords(): string[] {
  const lists = z
    .object({ pt: z.array(z.string()), en: z.array(z.string()) })
    .parse(createRequire(import.meta.url)("stopwords-iso"));
  return [...lists.pt, ...lists.en].map(foldWord);
}

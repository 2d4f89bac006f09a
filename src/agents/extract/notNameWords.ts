import { createRequire } from "node:module";
import { z } from "zod";
import { foldWord } from "./tokenize.ts";

/**
 * Words that are never a person's name: Portuguese and English function words (the stopwords-iso
 * lists, MIT) plus the words customers open a conversation with — greetings, thanks, intents and
 * what they saw ("tenho interesse", "vi o anúncio", "quero saber mais", "hello, this is…").
 */
export const NOT_NAME_WORDS: ReadonlySet<string> = new Set([...stopwords(), ...CONVERSATION_WORDS()]);

function stopwords(): string[] {
  const lists = z
    .object({ pt: z.array(z.string()), en: z.array(z.string()) })
    .parse(createRequire(import.meta.url)("stopwords-iso"));
  return [...lists.pt, ...lists.en].map(foldWord);
}

function CONVERSATION_WORDS(): string[] {
  return `oi ola oie opa eai salve hey hello hi alo bom boa bons boas dia dias tarde tardes noite noites
    obrigado obrigada obg brigado valeu vlw beleza blz tranquilo show top certo ok okay sim nao claro
    interesse interessado interessada interessados anuncio propaganda instagram facebook insta face
    site google youtube tiktok whatsapp zap saber informacao informacoes info duvida duvidas pergunta
    desconto energia solar conta luz valor preco orcamento assinatura plano planos economia economizar
    gostaria queria quero preciso tenho vi vim pode podem poderia consigo fala falar conversar ajuda
    atendente humano pessoa robo bot teste testando mensagem body text message test please thanks
    moro moramos resido vivo trabalho estou to sou somos cliente morador moradora casada casado aposentado aposentada`.split(
    /\s+/,
  );
}

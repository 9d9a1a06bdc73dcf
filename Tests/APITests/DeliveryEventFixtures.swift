/// Example event payloads, written from each provider's webhook
/// documentation (field names, types and values as documented there), with
/// Herald's notification id and the recipient put in (and Postmark's
/// timestamps, identical in its examples, a few minutes apart).
enum DeliveryEventFixtures {
    /// Postmark "Delivery webhook" example.
    static func postmarkDelivery(_ notificationId: String, _ recipient: String) -> String {
        """
        {"RecordType":"Delivery","ServerID":23,"MessageStream":"outbound","MessageID":"00000000-0000-0000-0000-000000000000",
         "Recipient":"\(recipient)","Tag":"welcome-email","DeliveredAt":"2019-11-05T16:33:54.9070259Z",
         "Details":"Test delivery webhook details","Metadata":{"a_key":"a_value","notification_id":"\(notificationId)"}}
        """
    }

    /// Postmark "Bounce webhook" example (a hard bounce).
    static func postmarkBounce(_ notificationId: String, _ recipient: String, id: Int64 = 4323372036854775807,
                               type: String = "HardBounce") -> String {
        """
        {"RecordType":"Bounce","MessageStream":"outbound","ID":\(id),"Type":"\(type)","TypeCode":1,"Name":"Hard bounce",
         "Tag":"Test","MessageID":"883953f4-6105-42a2-a16a-77a8eac79483","Metadata":{"notification_id":"\(notificationId)"},
         "ServerID":23,"Description":"The server was unable to deliver your message (ex: unknown user, mailbox not found).",
         "Details":"Test bounce details","Email":"\(recipient)","From":"sender@example.com",
         "BouncedAt":"2019-11-05T16:35:10.5Z","DumpAvailable":true,"Inactive":true,"CanActivate":true,
         "Subject":"Test subject","Content":"<Full dump of bounce>"}
        """
    }

    /// Postmark "Spam complaint webhook" example.
    static func postmarkSpamComplaint(_ notificationId: String, _ recipient: String) -> String {
        """
        {"RecordType":"SpamComplaint","MessageStream":"outbound","ID":42,"Type":"SpamComplaint","TypeCode":512,
         "Name":"Spam complaint","Tag":"Test","MessageID":"00000000-0000-0000-0000-000000000000",
         "Metadata":{"notification_id":"\(notificationId)"},"ServerID":1234,"Description":"",
         "Details":"Test spam complaint details","Email":"\(recipient)","From":"sender@example.com",
         "BouncedAt":"2019-11-05T16:33:54.9070259Z","DumpAvailable":true,"Inactive":true,"CanActivate":false,
         "Subject":"Test subject","Content":"<Abuse report dump>"}
        """
    }

    /// Postmark "Open tracking webhook" example.
    static func postmarkOpen(_ notificationId: String, _ recipient: String) -> String {
        """
        {"RecordType":"Open","MessageStream":"outbound","Metadata":{"notification_id":"\(notificationId)"},"FirstOpen":true,
         "Recipient":"\(recipient)","MessageID":"00000000-0000-0000-0000-000000000000",
         "ReceivedAt":"2019-11-05T16:40:00.25Z","Platform":"WebMail","ReadSeconds":5,"Tag":"welcome-email",
         "UserAgent":"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_14_6)",
         "OS":{"Name":"OS X 10.7 Lion","Family":"OS X 10","Company":"Apple Computer, Inc."},
         "Client":{"Name":"Chrome 35.0.1916.153","Family":"Chrome","Company":"Google"},
         "Geo":{"IP":"188.2.95.4","City":"Novi Sad","Country":"Serbia","CountryISOCode":"RS","Region":"Autonomna Pokrajina Vojvodina",
                "RegionISOCode":"VO","Zip":"21000","Coords":"45.2517,19.8369"}}
        """
    }

    /// SendGrid Event Webhook: a batch as in the "Event webhook reference"
    /// (processed, delivered, open, then a bounce), `custom_args` top-level.
    static func sendGridBatch(_ notificationId: String, _ recipient: String, bounceType: String = "bounce") -> String {
        let now = Int64(1513299569)
        return """
        [{"email":"\(recipient)","timestamp":\(now),"smtp-id":"<14c5d75ce93.dfd.64b469@ismtpd-555>","event":"processed",
          "category":"cat facts","sg_event_id":"rbtnWrG1DVDGGGFHFyun0A==","sg_message_id":"14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.000000000000000000000",
          "notification_id":"\(notificationId)"},
         {"email":"\(recipient)","timestamp":\(now + 1),"smtp-id":"<14c5d75ce93.dfd.64b469@ismtpd-555>","event":"delivered",
          "category":"cat facts","sg_event_id":"rWVYmVk90MjZJ9iohOBa3w==","sg_message_id":"14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.000000000000000000000",
          "response":"250 OK","notification_id":"\(notificationId)"},
         {"email":"\(recipient)","timestamp":\(now + 2),"event":"open","sg_machine_open":false,"category":"cat facts",
          "sg_event_id":"FOTFFO0ecsBE-zxFXfs6WA==","sg_message_id":"14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.000000000000000000000",
          "useragent":"Mozilla/4.0 (compatible; MSIE 6.1; Windows XP; .NET CLR 1.1.4322; .NET CLR 2.0.50727)","ip":"255.255.255.255",
          "notification_id":"\(notificationId)"},
         {"email":"\(recipient)","timestamp":\(now + 3),"smtp-id":"<14c5d75ce93.dfd.64b469@ismtpd-555>","event":"bounce",
          "bounce_classification":"Invalid Address","category":"cat facts","sg_event_id":"6g4ZI7SA-xmRDv57GoPIPw==",
          "sg_message_id":"14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.000000000000000000000",
          "reason":"500 unknown recipient","status":"5.0.0","type":"\(bounceType)","notification_id":"\(notificationId)"}]
        """
    }

    /// SendGrid "spamreport" event.
    static func sendGridSpamReport(_ notificationId: String, _ recipient: String) -> String {
        """
        [{"email":"\(recipient)","timestamp":1513299569,"event":"spamreport","category":"cat facts",
          "sg_event_id":"37nvH5QBz858KGVYCM4uOA==","sg_message_id":"14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.000000000000000000000",
          "notification_id":"\(notificationId)"}]
        """
    }

    /// Resend `email.delivered` / `email.bounced` as in Resend's webhook event types.
    static func resend(_ type: String, _ notificationId: String, _ recipient: String) -> String {
        let bounce = type == "email.bounced"
            ? #","bounce":{"message":"The recipient's email provider sent a hard bounce message, but didn't specify the reason for the hard bounce. We recommend removing the recipient's email address from your mailing list. Sending messages to addresses that produce hard bounces can have negative consequences for your reputation as a sender.","subType":"Suppressed","type":"Permanent"}"#
            : ""
        return """
        {"type":"\(type)","created_at":"2024-11-22T23:41:12.126Z",
         "data":{"broadcast_id":"8b146471-e88e-4322-86af-016cd36fd216","created_at":"2024-11-22T23:41:11.894719+00:00",
                 "email_id":"56761188-7520-42d8-8898-ff6fc54ce618","from":"Acme <onboarding@resend.dev>","to":["\(recipient)"],
                 "subject":"Sending this example","tags":{"category":"confirm_email","notification_id":"\(notificationId)"}\(bounce)}}
        """
    }

    /// Twilio's status callback parameters for an outbound message.
    static func twilio(status: String, to: String, errorCode: String? = nil) -> [(String, String)] {
        var form = [("SmsSid", "SM1342fe1b2c904d1ab04f0fc7a58abca9"), ("SmsStatus", status), ("MessageStatus", status),
                    ("To", to), ("MessageSid", "SM1342fe1b2c904d1ab04f0fc7a58abca9"),
                    ("AccountSid", "AC030f8a7c9b6d4e5f8a9b0c1d2e3f4a5b"), ("From", "+15017250604"), ("ApiVersion", "2010-04-01")]
        if let errorCode { form.append(("ErrorCode", errorCode)) }
        return form
    }
}
